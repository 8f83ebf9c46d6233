"""Date helpers: every block derives its window from the run's execution_date."""
from datetime import date, datetime, timedelta

import pandas as pd


def run_date(kwargs: dict) -> date:
    """The logical date of the run (Mage passes execution_date in kwargs)."""
    execution_date = kwargs.get('execution_date') or datetime.utcnow()
    return pd.Timestamp(execution_date).date()


def previous_day_window(kwargs: dict) -> tuple[datetime, datetime]:
    """[start, end) of the day before the run date, in UTC."""
    end = datetime.combine(run_date(kwargs), datetime.min.time())
    return end - timedelta(days=1), end


def previous_month_window(kwargs: dict) -> tuple[date, date]:
    """[first day, first day of next month) of the month before the run date."""
    first_of_this_month = run_date(kwargs).replace(day=1)
    last_month_end = first_of_this_month - timedelta(days=1)
    return last_month_end.replace(day=1), first_of_this_month


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5
