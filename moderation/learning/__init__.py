"""Learning from moderators: decisions become labels (``labels``), and trained model versions are
registered, judged on held-out labels, promoted and rolled back (``versions``)."""
