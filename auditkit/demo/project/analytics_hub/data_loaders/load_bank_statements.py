import pandas as pd
from mage_ai.io.s3 import S3

from analytics_hub.utils.dates import previous_month_window
from analytics_hub.utils.logging_helpers import get_block_logger, log_frame
from analytics_hub.utils.warehouse import config_loader

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('load_bank_statements')

BUCKET = 'acme-finance-landing'
STATEMENT_ACCOUNTS = ('1010', '1020', '1030', '1040', '1070', '6110')
# Each bank exports its own CSV layout; the GL account tells which bank the file is from.
BANK_LAYOUTS = {
    'first_national': {'accounts': {'1010', '1020', '1070', '6110'},
                       'columns': {'Value Date': 'value_date', 'Amount': 'amount',
                                   'Narrative': 'description', 'Balance': 'running_balance'},
                       'date_format': '%m/%d/%Y'},
    'euro_bank': {'accounts': {'1030'},
                  'columns': {'Valuta': 'value_date', 'Betrag': 'amount',
                              'Verwendungszweck': 'description', 'Saldo': 'running_balance'},
                  'date_format': '%d.%m.%Y', 'decimal_comma': True},
    'sterling_bank': {'accounts': {'1040'},
                      'columns': {'Date': 'value_date', 'Paid in': 'credit', 'Paid out': 'debit',
                                  'Description': 'description', 'Balance': 'running_balance'},
                      'date_format': '%d/%m/%Y'},
}
OUTPUT_COLUMNS = ['gl_account', 'value_date', 'amount', 'description', 'running_balance']


def layout_for(account: str) -> dict:
    """The bank layout that exports statements of ``account``."""
    for layout in BANK_LAYOUTS.values():
        if account in layout['accounts']:
            return layout
    raise KeyError(f'No bank layout for GL account {account}')


def parse_amounts(values: pd.Series, decimal_comma: bool) -> pd.Series:
    """Numbers from bank text: thousands separators removed, '1.234,50' handled."""
    text = values.astype(str).str.strip().str.replace(' ', '', regex=False)
    if decimal_comma:
        text = text.str.replace('.', '', regex=False).str.replace(',', '.', regex=False)
    else:
        text = text.str.replace(',', '', regex=False)
    return pd.to_numeric(text, errors='coerce')


def standardise_statement(frame: pd.DataFrame, account: str) -> pd.DataFrame:
    """One bank file in the common layout: signed amount, parsed date, GL account."""
    layout = layout_for(account)
    df = frame.rename(columns=layout['columns'])
    comma = layout.get('decimal_comma', False)
    if 'amount' not in df.columns:
        # Split debit/credit columns (sterling_bank): money in is positive.
        df['amount'] = parse_amounts(df['credit'].fillna(0), comma) - parse_amounts(df['debit'].fillna(0), comma)
    else:
        df['amount'] = parse_amounts(df['amount'], comma)
    df['running_balance'] = parse_amounts(df['running_balance'], comma)
    df['value_date'] = pd.to_datetime(df['value_date'], format=layout['date_format'], errors='coerce')
    df['gl_account'] = account
    return df[OUTPUT_COLUMNS]


def drop_overlapping_lines(df: pd.DataFrame) -> pd.DataFrame:
    """Banks repeat the last day of the previous statement; drop exact repeats."""
    before = len(df)
    df = df.drop_duplicates(subset=['gl_account', 'value_date', 'amount', 'description', 'running_balance'])
    if len(df) < before:
        logger.info('Dropped %d repeated statement lines', before - len(df))
    return df.reset_index(drop=True)


@data_loader
def load_bank_statements(*args, **kwargs) -> pd.DataFrame:
    """Load last month's bank statement lines (one CSV per bank account) from S3.

    Every bank's layout is mapped to OUTPUT_COLUMNS; a missing statement fails the run,
    because reconciling without it would report a false break for the account.
    """
    period_start, _ = previous_month_window(kwargs)
    prefix = f'bank_statements/{period_start:%Y/%m}/'
    s3 = S3.with_config(config_loader(kwargs.get('io_profile', 'default')))
    frames, missing = [], []
    for account in STATEMENT_ACCOUNTS:
        try:
            frame = s3.load(BUCKET, f'{prefix}{account}.csv')
        except FileNotFoundError:
            missing.append(account)
            continue
        frames.append(standardise_statement(frame, account))
        logger.info('Account %s: %d statement lines', account, len(frame))
    if missing:
        raise FileNotFoundError(f'No bank statement under s3://{BUCKET}/{prefix} for accounts {missing}')
    df = drop_overlapping_lines(pd.concat(frames, ignore_index=True))
    unparsed = df['amount'].isna() | df['value_date'].isna()
    if unparsed.any():
        logger.warning('%d statement lines with unreadable amount or date', int(unparsed.sum()))
    log_frame(logger, 'bank statement lines', df)
    return df


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert {'value_date', 'amount', 'description'} <= set(output.columns)


@test
def test_every_account_loaded(output, *args) -> None:
    assert set(output['gl_account']) == set(STATEMENT_ACCOUNTS), 'A bank account has no statement lines'
    assert output['amount'].notna().mean() > 0.99, 'Too many unreadable amounts'
