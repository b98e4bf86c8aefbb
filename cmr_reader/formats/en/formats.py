"""Short dates in English as ISO 8601 (2026-12-07), not Django's American 12/07/2026: readers
and coordinators of an international study read 12/07 as July as often as December. Long dates
("Dec. 7, 2026") are unambiguous and stay Django's."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
