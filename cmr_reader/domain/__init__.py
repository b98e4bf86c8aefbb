"""What CMR Reader knows about cardiac MR without Django: series facts, keywords and the series
decision, the cine grid, report entities, the synthetic case generator, library versions.

Both the web apps and the ``inference`` library import it; it imports neither (the contracts in
``.importlinter`` are checked by ``make check`` and CI). Only the standard library, numpy, scipy
and pydicom here.
"""
