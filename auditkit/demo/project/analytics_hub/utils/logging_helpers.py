"""Logging helpers shared by blocks, so every block logs row counts the same way."""
import logging
import time
from contextlib import contextmanager


def get_block_logger(name: str) -> logging.Logger:
    """Return a logger named after the block; Mage captures it into the block log."""
    logger = logging.getLogger(f'analytics_hub.{name}')
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(name)s: %(message)s'))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


@contextmanager
def log_duration(logger: logging.Logger, step: str):
    """Log how long ``step`` took, even when it raises."""
    started = time.monotonic()
    try:
        yield
    finally:
        logger.info('%s took %.2fs', step, time.monotonic() - started)


def log_frame(logger: logging.Logger, label: str, df) -> None:
    """Log the shape and null share of a DataFrame without logging any values."""
    if df is None:
        logger.warning('%s: no data', label)
        return
    null_share = float(df.isna().mean().max()) if len(df.columns) else 0.0
    logger.info('%s: %d rows, %d columns, max null share %.1f%%',
                label, len(df), len(df.columns), null_share * 100)
