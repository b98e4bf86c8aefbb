"""Multi-reader multi-case (MRMC) analysis: Obuchowski-Rockette with Hillis's degrees of freedom.

``design`` builds the fully crossed reader x modality x case array, ``figures_of_merit`` computes a
figure of merit per reader and modality with its leave-one-out jackknife values,
``obuchowski_rockette`` turns those into the three analyses (random readers and cases, fixed
readers, fixed cases), ``planning`` sizes a future study from a pilot's variance components and
``mrmc_csv`` reads the long CSV the ``mrmc`` command takes. Pure functions: no Django.
"""
