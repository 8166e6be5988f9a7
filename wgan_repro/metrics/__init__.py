"""Sample quality measured without any download.

- classifier.py: the domain classifier (its penultimate layer replaces Inception), cached on disk;
- fid.py: FID and KID on its embedding, through torchmetrics;
- coverage.py: classifier score, class coverage and KL, within-class diversity;
- points.py: exact W1 (POT) and VEEGAN's mode metrics for the 2-D sets;
- evaluator.py: the training loop's evaluation hook, built from the `eval` config section.
"""
