"""English patterns, one regular expression per concept, matched against normalised (lower-case) text.

The keys are shared with ``chinese``; ``lexicon`` compiles them. Spellings tolerate the usual
typing slips seen in dictated reports ("thicknes", "assymetric", "obstuction", "antero-septum").
Measure labels carry two optional named groups: ``v`` (the ventricle written in the label, "lv"
or "rv") and ``i`` (an index marker, "i", "index", "indexed").
"""

LV = r"left[- ]ventric\w*|lv"
RV = r"right[- ]ventric\w*|rv"
VENTRICLE = rf"(?P<v>{LV}|{RV})"
INDEX_AFTER = r"(?P<i>\s*index(?:ed)?\b|i\b)"

PATTERNS: dict[str, str] = {
    # Cues. Uncertainty is looked for first, so "cannot be excluded" never reads as a negation.
    "uncertain": (
        r"\b(?:possible|possibly|probable|probably|questionable|equivocal|indeterminate|suspicious (?:for|of)"
        r"|suspected|suspect|query|may (?:represent|be|reflect|indicate)|could (?:represent|be)"
        r"|can ?not be (?:excluded|ruled out)|can't be (?:excluded|ruled out)|not (?:be )?(?:excluded|ruled out)"
        r"|borderline|less likely|unlikely|uncertain|to (?:exclude|rule out)|rule out|r/o)\b|\?"
    ),
    "negation_before": (
        r"\b(?:no|without|absence of|absent|negative for|free of|nor|not consistent with|not in keeping with"
        r"|not typical of|does not (?:meet|fulfil\w*|show|demonstrate)|did not (?:show|demonstrate)"
        r"|there is not)\b"
    ),
    "negation_after": (
        r"\b(?:none|absent|not (?:seen|identified|present|demonstrated|detected|visuali[sz]ed|evident|appreciated"
        r"|observed|found)|negative|excluded|ruled out|resolved|nil)\b|:\s*no\b|\(\s*-\s*\)"
    ),
    "affirmation": r"\((?:\s*\+\s*)\)",
    "ventricle_lv": rf"\b(?:{LV})",
    "ventricle_rv": rf"\b(?:{RV})\b",
    # Measure labels.
    "edv": (
        rf"\b(?P<i0>indexed\s+)?(?:{VENTRICLE}[\s-]*)?(?:end[- ]?diastolic (?:volume|vol)\b|edv){INDEX_AFTER}?"
    ),
    "esv": rf"\b(?P<i0>indexed\s+)?(?:{VENTRICLE}[\s-]*)?(?:end[- ]?systolic (?:volume|vol)\b|esv){INDEX_AFTER}?",
    "mass": (
        rf"\b(?P<i0>indexed\s+)?(?:(?:(?P<v>{LV})[\s-]*)?(?:myocardial\s+)?mass\b|lvm(?=i?\b)){INDEX_AFTER}?"
    ),
    "mass_excluded_before": r"(?:lge|scar|enhancement|fibrosis|infarct|tumou?r|lesion)\s*$",
    "ef": rf"\b(?:{VENTRICLE}[\s-]*)?(?:systolic\s+)?(?:ejection fraction|ef)\b",
    # Wall thickness.
    "thickness_cue": (
        r"thic?k\w*|hypertroph\w*|sept\w*|\bivs\b|\bwall\b|measur\w*|up to|maxim\w*|\bmax\b|\bmwt\b|thickest"
        r"|greatest"
    ),
    "thickness_excluded": (
        r"effusion|pericardi\w*|atri\w*|\bla\b|\bra\b|aort\w*|diamet\w*|dimension|lvedd|lvesd|aneurysm|thromb\w*"
        r"|lymph\w*|node|trabecul\w*|length|gradient|valve|mitral|leaflet|slice|distance|\bnc/c\b|mass lesion"
    ),
    "location_lead": r"^\s*(?:\(|in\b|at\b|of\b|within\b|involving\b|located\b|,\s*(?:located|at|in)\b)",
    "segment": r"\bsegments?\s*(?P<n>\d{1,2})\b|\baha\s*(?:segment\s*)?(?P<m>\d{1,2})\b",
    "loc_apical": r"\bapex\b|\bapical\w*",
    "loc_septal": r"\w*sept\w*|\bivs\b",
    "loc_lateral": r"\w*lateral\b|\bposterior\b",
    "loc_inferior": r"\binferior\b",
    "loc_anterior": r"\banterior\b",
    # Hypertrophy pattern.
    "hyp_asymmetric_septal": (
        r"\bas+y?m+etric(?:al)?\s+(?:[\w-]+\s+){0,2}?(?:hypertroph\w*|thickening|lvh|hcm)|\bash\b"
        r"|\bsept(?:al|um)\s+(?:[\w-]+\s+){0,1}?(?:hypertroph\w*|thickening)"
        r"|hypertroph\w* of the (?:[\w-]+\s+){0,3}?(?:\w*sept\w*)"
        r"|\bsept\w*(?:\s+[\w-]+){0,3}\s+(?:is|was)\s+(?:\w+\s+)?(?:hypertrophied|thickened)"
    ),
    "hyp_apical": (
        r"\bapical (?:[\w-]+\s+){0,2}?(?:hypertroph\w*|hcm|variant|thickening|form)|\baphcm\b"
        r"|hypertroph\w* (?:of|at|confined to|predominantly (?:at|in)) the (?:lv )?apex|ace[- ]of[- ]spades"
        r"|spade[- ]shaped|yamaguchi|apical segments are thickened"
    ),
    "hyp_concentric": r"\bconcentric\b",
    "hyp_mid_ventricular": r"\bmid[- ]?(?:ventricular|cavity|cavitary)\b",
    "hyp_mid_context": r"hypertroph\w*|thicken\w*|obstruct\w*|\bhcm\b|obliterat\w*",
    "hyp_generic": r"hypertroph\w*+(?! cardiomyopathy)|\blvh\b|\bthickening\b",
    "hyp_normal": (
        r"normal (?:lv |left ventricular )?(?:myocardial )?wall thickness|non-?hypertrophied"
        r"|wall thickness (?:is |was |are |were )?(?:normal|within normal limits|preserved)"
    ),
    # Findings.
    "sam": r"systolic anterior motion|\bsam\b",
    "lvot": (
        r"\b(?:lvot|(?:left ventricular |lv )?outflow tract)\s+(?:[\w-]+\s+){0,2}?(?:obs?tr?uct\w*|narrowing)"
        r"|\blvoto\b|(?<!mid-)(?<!mid )(?<!mid-ventricular )(?<!midventricular )(?<!mid-cavity )(?<!cavity )"
        r"(?<!cavitary )\bobs?tr?uction\b"
    ),
    # A measured gradient is not a yes/no statement; only "no (significant) gradient" says something.
    "lvot_gradient": r"\b(?:lvot|outflow tract)\s+(?:[\w-]+\s+){0,2}?gradient",
    "aneurysm": r"\bapical (?:[\w-]+\s+){0,2}?aneurysm\w*|aneurysm\w* of the (?:lv )?apex|apical pouch",
    "lge": (
        r"\blge\b|late (?:gadolinium )?enhancement|delayed (?:gadolinium )?enhancement|(?<!early )(?<!first-pass )"
        r"(?<!perfusion )\benhancement|\bscar\w*|\bfibrosis\b"
    ),
    "lge_excluded_after": r"^\s*(?:imaging|images|sequences?|acquisition|was performed|protocol|technique)",
    "lge_transmural": r"transmural",
    "lge_subendocardial": r"subendocardi\w*",
    "lge_subepicardial": r"sub-?epicardi\w*|\bepicardi\w*",
    "lge_midwall": r"patchy|mid-?\s?wall|mid-?myocardi\w*|intramyocardi\w*|midmyocardi\w*",
    "lge_insertion": r"insertion|junction\w*|hinge point",
    "lge_only": r"\bonly\b|confined|limited|isolated",
    "lge_diffuse": r"diffuse|global",
    "extent_excluded_after": r"^\s*(?:of (?:the )?)?(?:wall|thickness|transmural)",
    "effusion": (
        r"pericardial (?:[\w-]+\s+){0,2}?(?:effusions?|fluid)|pericardial and (?:[\w-]+\s+){0,2}?effusions"
        r"|(?<!pleural )\beffusions?\b"
    ),
    "effusion_context": r"pericardi\w*",
    "pericardium_normal": r"pericardium(?: is| was)?\s*:?\s*(?:normal|unremarkable)|normal pericardium",
    "grade_none": r"physiological",
    "grade_small": r"\b(?:trace|trivial|minimal|small|tiny|mild|minor)\b",
    "grade_moderate": r"\bmoderate\b",
    "grade_large": r"\b(?:large|massive|severe|extensive)\b",
    # Diagnosis.
    "dx_hcm": (
        r"hypertrophic (?:obstructive |non-?obstructive )?cardiomyopathy|\b(?:ap)?h[on]?cm\b|\bhocm\b"
    ),
    "dx_dcm": r"dilated cardiomyopathy|\b(?:ni)?dcm\b",
    "dx_ischemic": r"(?<!non-)(?<!non)(?<!non )\bisch(?:a)?emic|infarct\w*",
    "dx_amyloidosis": r"amyloid\w*",
    "dx_myocarditis": r"myo\w*carditis",
    "dx_other": (
        r"fabry|sarcoid\w*|hypertensive heart|non-?compaction|\blvnc\b|\barvc\b|arrhythmogenic|athlete\w*"
        r"|danon|friedreich|takotsubo|ha?emochromatosis|iron overload|restrictive cardiomyopathy"
        r"|storage disease|pompe"
    ),
    "dx_normal": (
        r"normal (?:cardiac |cardiovascular |heart )?(?:mri|cmr|mr|study|examination|exam|scan)\b"
        r"|structurally normal heart|no (?:[\w-]+\s+){0,2}?(?:evidence|features|signs) of (?:a )?(?:cardiomyopathy|structural heart disease)"
        r"|no (?:significant )?(?:cardiac )?abnormalit(?:y|ies)"
    ),
    "dx_excluded_context": r"family history|\bfh\b|first[- ]degree relative|sibling|father|mother|brother|sister",
    "obstructive": (
        r"\bhocm\b|hypertrophic obstructive|(?<!non-)(?<!non)(?<!non )\bobstructive (?:hcm|hypertrophic|phenotype|form)"
        r"|\bhcm with (?:[\w-]+\s+){0,2}?obs?tr?uction"
    ),
    "non_obstructive": r"non-?\s?obstructive|\bhncm\b|\bhcm without (?:[\w-]+\s+){0,2}?obs?tr?uction",
}
