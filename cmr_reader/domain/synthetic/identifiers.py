"""Identifying values planted in every synthetic case, so de-identification can be proven.

Each value is distinctive enough that a plain byte search of the de-identified output finds it
only if it leaked. Pixel data cannot produce false hits: 12-bit pixels stored little-endian have
a high byte of at most 0x0F, while every planted string is printable ASCII (0x20-0x7E).
All UIDs use the root below ("1.2.826.0.1.3680043.8.498." is the pydicom/Medical Connections
root for example UIDs), so any original UID left in clear is easy to spot.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

UID_ROOT = "1.2.826.0.1.3680043.8.498."
GIVEN_NAMES = ("Zhangwei", "Annelies", "Oluwaseun", "Margarethe", "Thibault", "Siobhan", "Kenjiro", "Ingvild")
STREETS = ("Quellenweg", "Larkspur Close", "Rue des Tanneurs", "Via Calimala", "Birkenallee")
CITIES = ("Wuppertal", "Harrogate", "Besancon", "Arezzo", "Tromso")
HOSPITALS = (
    "St. Hildegard Heart Centre",
    "Royal Ashcombe Infirmary",
    "Clinique Vauban-Est",
    "Ospedale San Zeno",
)
PHYSICIANS = ("Okonkwo^Adaeze", "Lindqvist^Henrik", "Moreau^Celestine", "Takahashi^Ren", "Brannigan^Orla")


@dataclass(frozen=True, kw_only=True)
class PlantedIdentifiers:
    patient_name: str
    patient_id: str
    other_patient_ids: str
    patient_birth_date: str
    patient_address: str
    patient_telephone: str
    accession_number: str
    institution_name: str
    institution_address: str
    department_name: str
    referring_physician: str
    performing_physician: str
    operators_name: str
    station_name: str
    device_serial_number: str
    study_id: str
    study_date: str
    study_time: str
    requested_procedure_id: str
    scheduled_procedure_step_id: str
    study_instance_uid: str
    frame_of_reference_uid: str
    uid_serial: int

    @property
    def patient_name_text(self) -> str:
        """The name as it appears in free text ("Given Family")."""
        family, given = self.patient_name.split("^")
        return f"{given} {family}"

    def series_instance_uid(self, *, series_number: int) -> str:
        return f"{UID_ROOT}2.{self.uid_serial}.{series_number}"

    def sop_instance_uid(self, *, series_number: int, instance_number: int) -> str:
        return f"{UID_ROOT}3.{self.uid_serial}.{series_number}.{instance_number}"

    def as_labels(self) -> dict[str, str]:
        """Label -> planted value, for the ground truth's ``planted_identifiers``."""
        labels = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "uid_serial"}
        labels["patient_name_text"] = self.patient_name_text
        return labels


def plant_identifiers(*, seed: int, age_years: int) -> PlantedIdentifiers:
    """Distinctive identifiers for the case drawn from ``seed`` (a stream separate from the phantom)."""
    rng = np.random.default_rng([seed, 0x1D])
    number = int(rng.integers(10_000, 99_999))
    given = GIVEN_NAMES[int(rng.integers(len(GIVEN_NAMES)))]
    study_day = dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3300)))
    birth_day = study_day - dt.timedelta(days=int(365.25 * age_years + rng.integers(1, 360)))
    hour, minute, second = int(rng.integers(7, 18)), int(rng.integers(60)), int(rng.integers(60))
    serial = int(rng.integers(10**11, 10**12))
    city = CITIES[int(rng.integers(len(CITIES)))]
    physicians = rng.permutation(len(PHYSICIANS))
    return PlantedIdentifiers(
        patient_name=f"Testpatient{number}^{given}",
        patient_id=f"PID-{rng.integers(10**8, 10**9)}",
        other_patient_ids=f"OPID-{rng.integers(10**7, 10**8)}",
        patient_birth_date=birth_day.strftime("%Y%m%d"),
        patient_address=f"{rng.integers(2, 199)} {STREETS[int(rng.integers(len(STREETS)))]}, {city}",
        patient_telephone=f"+49-{rng.integers(100, 999)}-{rng.integers(1_000_000, 9_999_999)}",
        accession_number=f"ACC{rng.integers(10**9, 10**10)}",
        institution_name=HOSPITALS[int(rng.integers(len(HOSPITALS)))],
        institution_address=f"{rng.integers(1, 99)} Hospital Lane {number}, {city}",
        department_name=f"Cardiac Imaging Unit {number % 97}",
        referring_physician=PHYSICIANS[physicians[0]],
        performing_physician=PHYSICIANS[physicians[1]],
        operators_name=f"Tech{number}^Radiographer",
        station_name=f"MRC{rng.integers(10_000, 99_999)}",
        device_serial_number=f"SN{rng.integers(100_000, 999_999)}",
        study_id=f"E{rng.integers(100_000, 999_999)}",
        study_date=study_day.strftime("%Y%m%d"),
        study_time=f"{hour:02d}{minute:02d}{second:02d}",
        requested_procedure_id=f"RP{rng.integers(10**6, 10**7)}",
        scheduled_procedure_step_id=f"SPS{rng.integers(10**6, 10**7)}",
        study_instance_uid=f"{UID_ROOT}1.{serial}",
        frame_of_reference_uid=f"{UID_ROOT}4.{serial}",
        uid_serial=serial,
    )
