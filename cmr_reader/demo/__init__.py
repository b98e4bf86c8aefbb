"""Everything only the demo needs, in one place: its users (``users``), its study built from
synthetic cases and the bundled demo model's reports (``study``), what ``make demo`` prints
(``welcome``), and the ``seed_demo`` and ``demo_welcome`` commands. The site itself never
imports it. (The demo model's own code lives with the model: ``inference/demo_*``.)"""
