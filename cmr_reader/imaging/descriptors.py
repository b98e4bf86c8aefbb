"""Clean Descriptors (PS3.15 E.3.5) by allow-list: keep the words that say what a series is.

Descriptors such as Series Description are typed by technologists and sometimes carry a patient
name, a date or a place. Instead of guessing what identifies (a deny-list always misses
something), we keep only tokens that are CMR/MR technical vocabulary, short numbers, or short
sequence codes, and drop the rest. Series classification only ever needs the kept tokens.
"""

import re

# Lower-case technical vocabulary seen in CMR descriptors across vendors (Siemens, GE, Philips).
# Ordinary English words here ("long", "rest", "black") could also be surnames; alone, without
# the dropped given name, they do not identify anyone.
TECHNICAL_VOCABULARY = frozenset(
    """
    cine cines retro retrospective prosp prospective trig trigger gated ecg bh fb breath hold
    free breathing nav navigator resp rt realtime real time seg segmented single multi shot
    sax sa short lax long axis axial ax cor coronal sag sagittal tra transverse obl oblique
    view views plane inplane through stack slice slices sl mid basal base apex apical
    ch chamber chambers chamb 2c 3c 4c 2ch 3ch 4ch 2cv 3cv 4cv 5ch hla vla lvot rvot lvla rvla rv2ch
    lv rv la ra ao aorta aortic pa mpa pulmonary mitral tricuspid valve septum heart cardiac
    lge de mde psir mag magn magnitude pha phase ph ti scout look locker invers inversion ir
    recovery delayed late early ege enhancement viability contrast gad gd post pre native
    tfl tf2d tfi tfi2d fl2d fl3d trufi trufisp truefisp fisp fiesta btfe tfe bssfp ssfp
    gre se tse fse haste fl flash swi dwi stir dark bright black blood fat sat fs water dixon
    localizer localiser loc locs survey tripilot pilot plan planning tune
    t1 t2 t2star star map maps mapping molli shmolli saspir sasha moco ecv t1map t2map
    perfusion perf stress rest adenosine regadenoson dobutamine first pass aif
    flow pc venc qflow vel velocity through cmr mr mri routine function functional protocol
    angio mra ce tof whole body thorax chest abdomen mp2rage pat grappa sense ipat asset
    gadovist gadavist dotarem magnevist multihance prohance clariscan gadobutrol gadoterate
    norm nd dis2d dis3d orig primary series
    tag tags tagged tagging grid spamm cspamm 4d 4dflow flowq qflow avg inflow radial
    tiscout aahscout smartsurvey locator mst ss sat rec ave echo multiecho tp epat aov fitparams
    sbtfe bffe ffe mffe truessfp fgre psmde fastcine vipr ssfse fase grase fsp sr et spair
    bb db dir tirm double triple weighted horizontal vertical starmap t2prep
    two three four five hlax vlax cineir mtag fastpc sqflow flowc 4df dirfse tirfse
    """.split()
)

# Tokens are alphanumeric runs (ASCII only: a non-ASCII letter splits a name into pieces that
# are then dropped, so no part of it survives as a "separator").
_TOKENS = re.compile(r"[A-Za-z0-9]+")
_RUNS = re.compile(r"[A-Za-z]+|[0-9]+")
_KEPT_SEPARATORS = frozenset(" _-^.+*/")
_MAX_NUMBER_DIGITS = 4  # 8-digit runs are dates, longer ones MRNs and phone numbers
_MAX_CODE_LENGTH = 10
_MAX_UNKNOWN_LETTER_RUN = 3  # "tf", "d", "sa" inside a code; "Zhang" in "Zhang1" is not


def _is_short_code(token: str) -> bool:
    """A sequence code such as ``tf2d12``: letters and digits, short runs of each."""
    if len(token) > _MAX_CODE_LENGTH:
        return False
    for run in _RUNS.findall(token):
        if run.isdigit():
            if len(run) > _MAX_NUMBER_DIGITS:
                return False
        elif len(run) > _MAX_UNKNOWN_LETTER_RUN and run.lower() not in TECHNICAL_VOCABULARY:
            return False
    return True


def _is_kept(token: str) -> bool:
    if token.lower() in TECHNICAL_VOCABULARY:
        return True
    if token.isdigit():
        return len(token) <= _MAX_NUMBER_DIGITS
    if token.isalpha():
        # A word we don't know may be a name, however short ("Li", "Ng").
        return False
    return _is_short_code(token)


def _separator(text: str) -> str:
    """The separator to write for ``text``, the characters between two original tokens."""
    first = text[:1]
    return first if first in _KEPT_SEPARATORS else "_"


def clean_descriptor(text: str) -> str:
    """``text`` with every token that is not technical vocabulary or a short code dropped.

    Kept tokens keep their case and the separator that preceded them, so
    ``"Zhangwei cine_tf2d12_retro_SAX 20240315"`` becomes ``"cine_tf2d12_retro_SAX"``.
    """
    kept: list[str] = []
    previous_end = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        end = match.end()
        if _is_kept(token):
            if kept:
                kept.append(_separator(text[previous_end : match.start()]))
            kept.append(token)
            # "T2*" is how T2-star is written: the star belongs to its token, whatever follows.
            if text[end : end + 1] == "*":
                kept.append("*")
                end += 1
        # The separator written before a kept token is the one right before it, not the one
        # before a dropped token ("cine_Smith sax" -> "cine sax").
        previous_end = end
    return "".join(kept)
