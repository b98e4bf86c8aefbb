"""DICOM Patient's Age as a number of years, for exports that a statistician sorts and averages.

Patient's Age (0010,1010) has Value Representation AS, "Age String" (DICOM PS3.5, Table 6.2-1):
four characters, three digits and a unit, ``nnnD``, ``nnnW``, ``nnnM`` or ``nnnY`` ("047Y" is
47 years, "006M" six months). Kept as text (Case.patient_age), a column of such values sorts
"006M" after "047Y" and averages to nothing, so the exports carry years instead.

Weeks and days use the Julian year of 365.25 days, months a twelfth of a year. A value given in
years stays whole; one given in smaller units keeps two decimals (0.01 years is under four days,
finer than any age a scanner records in months or weeks).
"""

import re

# A little looser than the standard, where the meaning is still certain: one to three digits
# (some scanners drop the leading zeros), a lower-case unit, surrounding spaces (DICOM padding).
AGE_STRING = re.compile(r"([0-9]{1,3})([DWMY])")
YEARS_PER_UNIT = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12}


def age_in_years(value: str) -> float | None:
    """The age in years ("047Y" -> 47.0, "006M" -> 0.5), or None for an empty or malformed value.

    Never raises: an export must not fail because one scanner wrote an odd age.
    """
    if not isinstance(value, str):
        return None
    match = AGE_STRING.fullmatch(value.strip().upper())
    if match is None:
        return None
    number, unit = int(match[1]), match[2]
    if unit == "Y":
        return float(number)
    return round(number * YEARS_PER_UNIT[unit], 2)
