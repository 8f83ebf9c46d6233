from analytics_hub.utils.dates import is_weekend, run_date

if 'condition' not in globals():
    from mage_ai.data_preparation.decorators import condition


@condition
def evaluate_condition(*args, **kwargs) -> bool:
    """Only publish the S3 summary for business days; finance ignores weekend files."""
    return not is_weekend(run_date(kwargs))
