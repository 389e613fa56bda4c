"""Training: the data sources, the linear models' trainer, and the encoder's fine-tuning and export.

Nothing here is imported when serving (the service loads artifacts; it does not train them).
"""
