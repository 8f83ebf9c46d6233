import json

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def transform(df, *args, **kwargs):
    # rules come from the marketing team's spreadsheet, e.g. "row['lifetime_value'] > 5000"
    with open('/home/src/analytics_hub/rules.json') as f:
        rules = json.load(f)
    for name, expression in rules.items():
        df[name] = df.apply(lambda row: eval(expression), axis=1)
    return df
