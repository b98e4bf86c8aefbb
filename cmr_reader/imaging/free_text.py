"""Free text that Table E.1-1 does not list: removed unless an allow-list says who reads it.

Annex E lists the attributes that are known to identify; a scanner, a PACS or a post-processing
tool can still write a name into any other text attribute (Text Value in a nested item, a local
code's meaning, Device ID, Acquisition Protocol Name). So an attribute of a free-text VR that the
table does not list is removed at any depth (``decisions/0016``), unless it is here:

- ``ALLOWED_FREE_TEXT``: attributes the viewer, classification or inference read, each with why;
- ``CODE_ATTRIBUTES``: the Code Sequence Macro (PS3.3 Table 8.8-1) in an item whose coding scheme
  is a published one, where value and meaning come from the scheme rather than a keyboard. In an
  item of a local scheme ("99HOSP", none at all) they are removed, designator included.

CS and AS are coded and kept; UI, DA, DT and PN have their own actions in ``deid_actions``.
"""

# PS3.5 Table 6.2-1 VRs that can hold arbitrary characters. AE is a network name, which tells
# where an image came from; UR is an address, which may carry a query with anything in it.
FREE_TEXT_VRS = frozenset({"AE", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})

# Free-text attributes Annex E does not list that survive de-identification, and why. Annex E's
# own actions (Clean Descriptors for Series Description and Protocol Name, K for Ethnic Group
# under Retain Patient Characteristics) stay in ``deid_actions.ANNEX_E_ACTIONS``.
ALLOWED_FREE_TEXT: dict[int, str] = {
    0x00281054: "RescaleType (LO): the viewer's Cornerstone modality LUT module reads it; a unit code",
    # The scanner's vocabulary, set by the vendor rather than typed per patient: series
    # classification of real archives leans on vendor sequence names (Siemens "*tfi2d1", GE
    # "FIESTA"), and a paper reports the vendors and models its images came from.
    0x00080070: "Manufacturer (LO): vendor-specific series classification; the paper's scanner table",
    0x00081090: "ManufacturerModelName (LO): the paper's scanner table",
    0x00180024: "SequenceName (SH): vendor pulse-sequence names tell cine, LGE and scouts apart",
}

CODE_VALUE = 0x00080100
CODING_SCHEME_DESIGNATOR = 0x00080102
CODE_ATTRIBUTES: dict[int, str] = {
    CODE_VALUE: "CodeValue (SH)",
    CODING_SCHEME_DESIGNATOR: "CodingSchemeDesignator (SH)",
    0x00080103: "CodingSchemeVersion (SH)",
    0x00080104: "CodeMeaning (LO)",
    0x00080119: "LongCodeValue (UC)",
    0x00080120: "URNCodeValue (UR)",
}
LAST_CODE_ATTRIBUTE = max(CODE_ATTRIBUTES)

# Published coding schemes (PS3.16 Table 8-1) met in image headers. Any other designator, and
# the "99" prefix PS3.16 8.2 reserves for private schemes in particular, counts as local.
STANDARD_CODING_SCHEMES = frozenset(
    {
        "ACR",  # ACR Index for Radiological Diagnoses
        "DCM",  # DICOM Controlled Terminology (PS3.16 Annex D)
        "FMA",  # Foundational Model of Anatomy
        "I10",  # ICD-10
        "I10P",  # ICD-10 Procedure Coding System
        "I9C",  # ICD-9-CM
        "LN",  # LOINC
        "MDC",  # ISO/IEEE 11073 Medical Device Nomenclature
        "NCIt",  # NCI Thesaurus
        "RADLEX",  # RadLex
        "SCT",  # SNOMED CT
        "SNM3",  # SNOMED v3 (retired designator)
        "SRT",  # SNOMED (retired designator, still written by scanners)
        "UBERON",  # Uberon anatomy ontology
        "UCUM",  # Unified Code for Units of Measure
        "UMLS",  # Unified Medical Language System
    }
)


def is_local_coding_scheme(designator: str) -> bool:
    """Whether a Coding Scheme Designator (stripped, as read) names no published scheme."""
    return designator not in STANDARD_CODING_SCHEMES
