"""Month-end reconciliation of the general ledger against bank, Stripe, PayPal and subledgers.

For every balance-sheet and P&L account in scope, the GL movement of the month is compared
with its source of truth. Each account has its own small reconciliation function because
the matching rules differ (bank lines carry references, Stripe payouts net fees, tax accounts
are compared against the tax engine export). Results are one row per account with the
difference and a status the controllers review in the close checklist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics_hub.utils.dates import previous_month_window
from analytics_hub.utils.logging_helpers import get_block_logger, log_frame

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('transform_reconcile_ledger')

STATUS_MATCHED = 'matched'
STATUS_WITHIN_TOLERANCE = 'within_tolerance'
STATUS_BREAK = 'break'
STATUS_NO_SOURCE = 'no_source_data'

REFERENCE_PATTERN = re.compile(r'(?:INV|PO|PYT|TR)[-_ ]?(\d{5,10})', re.IGNORECASE)


@dataclass(frozen=True)
class AccountResult:
    """Outcome of reconciling one GL account for one period."""

    account: str
    name: str
    source: str
    gl_amount: float
    source_amount: float
    tolerance: float
    matched_lines: int
    unmatched_gl_lines: int
    unmatched_source_lines: int

    @property
    def difference(self) -> float:
        return round(self.gl_amount - self.source_amount, 2)

    @property
    def status(self) -> str:
        if self.source_amount == 0 and self.matched_lines == 0 and self.gl_amount != 0:
            return STATUS_NO_SOURCE
        if abs(self.difference) < 0.005:
            return STATUS_MATCHED
        if abs(self.difference) <= self.tolerance:
            return STATUS_WITHIN_TOLERANCE
        return STATUS_BREAK

    def as_row(self) -> dict:
        return {
            'account': self.account,
            'account_name': self.name,
            'source': self.source,
            'gl_amount': round(self.gl_amount, 2),
            'source_amount': round(self.source_amount, 2),
            'difference': self.difference,
            'tolerance': self.tolerance,
            'matched_lines': self.matched_lines,
            'unmatched_gl_lines': self.unmatched_gl_lines,
            'unmatched_source_lines': self.unmatched_source_lines,
            'status': self.status,
        }


# --- normalisation helpers -------------------------------------------------------------

def normalize_amount(series: pd.Series) -> pd.Series:
    """Amounts as floats; accounting-style negatives '(1,234.50)' become -1234.5."""
    text = series.astype(str).str.replace(',', '', regex=False).str.strip()
    negative = text.str.startswith('(') & text.str.endswith(')')
    numbers = pd.to_numeric(text.str.strip('()'), errors='coerce').fillna(0.0)
    return numbers.where(~negative, -numbers)


def normalize_reference(value) -> str | None:
    """Extract the numeric document reference from a free-text memo, if any."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    match = REFERENCE_PATTERN.search(str(value))
    return match.group(1) if match else None


def normalize_gl(gl: pd.DataFrame) -> pd.DataFrame:
    """GL entries with a signed ``amount`` (debit positive) and a parsed reference."""
    df = gl.copy()
    df.columns = [c.lower() for c in df.columns]
    df['amount'] = normalize_amount(df['debit']) - normalize_amount(df['credit'])
    df['account'] = df['account'].astype(str).str.strip()
    df['posting_date'] = pd.to_datetime(df['posting_date']).dt.date
    df['reference'] = df['memo'].map(normalize_reference)
    return df


def normalize_bank(bank: pd.DataFrame) -> pd.DataFrame:
    """Bank statement lines with a signed amount and a parsed reference."""
    df = bank.copy()
    df['amount'] = normalize_amount(df['amount'])
    df['value_date'] = pd.to_datetime(df['value_date']).dt.date
    df['reference'] = df['description'].map(normalize_reference)
    df['account'] = df['gl_account'].astype(str)
    return df


def normalize_payouts(payouts: pd.DataFrame) -> pd.DataFrame:
    """Stripe payouts in major units, with fees split out."""
    df = payouts.copy()
    df['amount'] = df['amount_cents'] / 100
    df['fee'] = df['fee_cents'].fillna(0) / 100
    df['gross'] = df['amount'] + df['fee']
    df['refunded'] = df['refunded_cents'].fillna(0) / 100 if 'refunded_cents' in df else 0.0
    df['arrival_date'] = pd.to_datetime(df['arrival_date']).dt.date
    return df


def in_period(df: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    """Rows whose ``column`` date lies in [start, end)."""
    return df[(df[column] >= start) & (df[column] < end)]


# --- matching helpers ------------------------------------------------------------------

def match_by_reference(gl: pd.DataFrame, source: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pair lines that share a document reference and amount.

    Returns (matched pairs, unmatched GL lines, unmatched source lines).
    """
    left = gl[gl['reference'].notna()].assign(amount_key=lambda d: d['amount'].round(2))
    right = source[source['reference'].notna()].assign(amount_key=lambda d: d['amount'].round(2))
    matched = left.merge(right, on=['reference', 'amount_key'], suffixes=('_gl', '_src'))
    unmatched_gl = gl[~gl.index.isin(left[left['reference'].isin(matched['reference'])].index)]
    unmatched_src = source[~source.index.isin(right[right['reference'].isin(matched['reference'])].index)]
    return matched, unmatched_gl, unmatched_src


def match_by_amount_and_date(gl: pd.DataFrame, source: pd.DataFrame, date_column: str,
                             max_days: int = 3) -> int:
    """Count GL lines with a source line of the same amount within ``max_days`` days."""
    if gl.empty or source.empty:
        return 0
    candidates = source[[date_column, 'amount']].copy()
    candidates['amount_key'] = candidates['amount'].round(2)
    count = 0
    for _, line in gl.iterrows():
        same_amount = candidates[candidates['amount_key'] == round(line['amount'], 2)]
        if same_amount.empty:
            continue
        gap = (pd.to_datetime(same_amount[date_column]) - pd.Timestamp(line['posting_date'])).abs()
        if (gap <= pd.Timedelta(days=max_days)).any():
            count += 1
    return count


def sum_account(gl: pd.DataFrame, account: str) -> float:
    """Net GL movement of one account."""
    return float(gl.loc[gl['account'] == account, 'amount'].sum())


def subledger_total(subledgers: dict[str, pd.DataFrame], name: str) -> float:
    """Closing-minus-opening movement of a subledger export."""
    frame = subledgers.get(name)
    if frame is None or frame.empty:
        return 0.0
    return float(frame['closing_balance'].sum() - frame['opening_balance'].sum())


def schedule_total(schedules: dict[str, pd.DataFrame], name: str, period_start: date) -> float:
    """Movement of an amortisation/accrual schedule in the period."""
    frame = schedules.get(name)
    if frame is None or frame.empty:
        return 0.0
    rows = frame[pd.to_datetime(frame['period']).dt.date == period_start]
    return float(rows['movement'].sum())


def tax_total(tax: pd.DataFrame, tax_type: str) -> float:
    """Tax collected minus tax remitted for one tax type, from the tax engine export."""
    if tax is None or tax.empty:
        return 0.0
    rows = tax[tax['tax_type'] == tax_type]
    return float(rows['collected'].sum() - rows['remitted'].sum())


# --- one reconciliation per account ----------------------------------------------------


def reconcile_operating_cash(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """Operating cash (JPM) (1010) against the bank statement lines mapped to it."""
    gl_lines = gl[gl['account'] == '1010']
    bank_lines = bank[bank['account'] == '1010']
    matched, unmatched_gl, unmatched_bank = match_by_reference(gl_lines, bank_lines)
    fuzzy = match_by_amount_and_date(unmatched_gl, unmatched_bank, 'value_date')
    return AccountResult(
        account='1010', name='Operating cash (JPM)', source='bank',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=float(bank_lines['amount'].sum()),
        tolerance=0.01,
        matched_lines=len(matched) + fuzzy,
        unmatched_gl_lines=max(len(unmatched_gl) - fuzzy, 0),
        unmatched_source_lines=max(len(unmatched_bank) - fuzzy, 0),
    )


def reconcile_payroll_cash(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """Payroll account (1020) against the bank statement lines mapped to it."""
    gl_lines = gl[gl['account'] == '1020']
    bank_lines = bank[bank['account'] == '1020']
    matched, unmatched_gl, unmatched_bank = match_by_reference(gl_lines, bank_lines)
    fuzzy = match_by_amount_and_date(unmatched_gl, unmatched_bank, 'value_date')
    return AccountResult(
        account='1020', name='Payroll account', source='bank',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=float(bank_lines['amount'].sum()),
        tolerance=0.01,
        matched_lines=len(matched) + fuzzy,
        unmatched_gl_lines=max(len(unmatched_gl) - fuzzy, 0),
        unmatched_source_lines=max(len(unmatched_bank) - fuzzy, 0),
    )


def reconcile_eur_cash(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """EUR operating account (1030) against the bank statement lines mapped to it."""
    gl_lines = gl[gl['account'] == '1030']
    bank_lines = bank[bank['account'] == '1030']
    matched, unmatched_gl, unmatched_bank = match_by_reference(gl_lines, bank_lines)
    fuzzy = match_by_amount_and_date(unmatched_gl, unmatched_bank, 'value_date')
    return AccountResult(
        account='1030', name='EUR operating account', source='bank',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=float(bank_lines['amount'].sum()),
        tolerance=0.05,
        matched_lines=len(matched) + fuzzy,
        unmatched_gl_lines=max(len(unmatched_gl) - fuzzy, 0),
        unmatched_source_lines=max(len(unmatched_bank) - fuzzy, 0),
    )


def reconcile_gbp_cash(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """GBP operating account (1040) against the bank statement lines mapped to it."""
    gl_lines = gl[gl['account'] == '1040']
    bank_lines = bank[bank['account'] == '1040']
    matched, unmatched_gl, unmatched_bank = match_by_reference(gl_lines, bank_lines)
    fuzzy = match_by_amount_and_date(unmatched_gl, unmatched_bank, 'value_date')
    return AccountResult(
        account='1040', name='GBP operating account', source='bank',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=float(bank_lines['amount'].sum()),
        tolerance=0.05,
        matched_lines=len(matched) + fuzzy,
        unmatched_gl_lines=max(len(unmatched_gl) - fuzzy, 0),
        unmatched_source_lines=max(len(unmatched_bank) - fuzzy, 0),
    )


def reconcile_stripe_clearing(gl: pd.DataFrame, payouts: pd.DataFrame, **_) -> AccountResult:
    """Stripe clearing (1050) against Stripe payouts of the period."""
    gl_lines = gl[gl['account'] == '1050']
    column = 'amount'
    source_amount = float(payouts[column].sum()) * 1
    return AccountResult(
        account='1050', name='Stripe clearing', source='stripe',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=source_amount,
        tolerance=0.01,
        matched_lines=int(len(payouts)),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_paypal_clearing(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """PayPal clearing (1060): PayPal settlements arrive as bank lines tagged PAYPAL."""
    gl_lines = gl[gl['account'] == '1060']
    settlements = bank[bank['description'].str.contains('PAYPAL', case=False, na=False)]
    matched = match_by_amount_and_date(gl_lines, settlements, 'value_date', max_days=5)
    return AccountResult(
        account='1060', name='PayPal clearing', source='paypal',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=-float(settlements['amount'].sum()),
        tolerance=0.01,
        matched_lines=matched,
        unmatched_gl_lines=max(len(gl_lines) - matched, 0),
        unmatched_source_lines=max(len(settlements) - matched, 0),
    )


def reconcile_accounts_receivable(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Trade receivables (1200) against the accounts_receivable subledger export."""
    gl_lines = gl[gl['account'] == '1200']
    frame = subledgers.get('accounts_receivable')
    return AccountResult(
        account='1200', name='Trade receivables', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'accounts_receivable'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_unbilled_receivable(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Unbilled receivables (1210) against the unbilled_receivable subledger export."""
    gl_lines = gl[gl['account'] == '1210']
    frame = subledgers.get('unbilled_receivable')
    return AccountResult(
        account='1210', name='Unbilled receivables', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'unbilled_receivable'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_prepaid_expenses(gl: pd.DataFrame, schedules: dict, period_start: date, **_) -> AccountResult:
    """Prepaid expenses (1300) against the prepaid_expenses schedule maintained by the controllers."""
    gl_lines = gl[gl['account'] == '1300']
    return AccountResult(
        account='1300', name='Prepaid expenses', source='schedule',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=schedule_total(schedules, 'prepaid_expenses', period_start),
        tolerance=5.0,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_prepaid_software(gl: pd.DataFrame, schedules: dict, period_start: date, **_) -> AccountResult:
    """Prepaid software (1310) against the prepaid_software schedule maintained by the controllers."""
    gl_lines = gl[gl['account'] == '1310']
    return AccountResult(
        account='1310', name='Prepaid software', source='schedule',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=schedule_total(schedules, 'prepaid_software', period_start),
        tolerance=5.0,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_accounts_payable(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Trade payables (2000) against the accounts_payable subledger export."""
    gl_lines = gl[gl['account'] == '2000']
    frame = subledgers.get('accounts_payable')
    return AccountResult(
        account='2000', name='Trade payables', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'accounts_payable'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_accrued_expenses(gl: pd.DataFrame, schedules: dict, period_start: date, **_) -> AccountResult:
    """Accrued expenses (2100) against the accrued_expenses schedule maintained by the controllers."""
    gl_lines = gl[gl['account'] == '2100']
    return AccountResult(
        account='2100', name='Accrued expenses', source='schedule',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=schedule_total(schedules, 'accrued_expenses', period_start),
        tolerance=5.0,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_accrued_payroll(gl: pd.DataFrame, schedules: dict, period_start: date, **_) -> AccountResult:
    """Accrued payroll (2110) against the accrued_payroll schedule maintained by the controllers."""
    gl_lines = gl[gl['account'] == '2110']
    return AccountResult(
        account='2110', name='Accrued payroll', source='schedule',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=schedule_total(schedules, 'accrued_payroll', period_start),
        tolerance=5.0,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_sales_tax_payable(gl: pd.DataFrame, tax: pd.DataFrame, **_) -> AccountResult:
    """Sales tax payable (2200) against the tax engine's collected-minus-remitted figure."""
    gl_lines = gl[gl['account'] == '2200']
    return AccountResult(
        account='2200', name='Sales tax payable', source='tax_engine',
        gl_amount=-float(gl_lines['amount'].sum()),
        source_amount=tax_total(tax, 'sales_tax'),
        tolerance=0.5,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_vat_payable(gl: pd.DataFrame, tax: pd.DataFrame, **_) -> AccountResult:
    """VAT payable (2210) against the tax engine's collected-minus-remitted figure."""
    gl_lines = gl[gl['account'] == '2210']
    return AccountResult(
        account='2210', name='VAT payable', source='tax_engine',
        gl_amount=-float(gl_lines['amount'].sum()),
        source_amount=tax_total(tax, 'vat'),
        tolerance=0.5,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_deferred_revenue(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Deferred revenue (2300) against the deferred_revenue subledger export."""
    gl_lines = gl[gl['account'] == '2300']
    frame = subledgers.get('deferred_revenue')
    return AccountResult(
        account='2300', name='Deferred revenue', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'deferred_revenue'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_customer_deposits(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Customer deposits (2400) against the customer_deposits subledger export."""
    gl_lines = gl[gl['account'] == '2400']
    frame = subledgers.get('customer_deposits')
    return AccountResult(
        account='2400', name='Customer deposits', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'customer_deposits'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_subscription_revenue(gl: pd.DataFrame, payouts: pd.DataFrame, **_) -> AccountResult:
    """Subscription revenue (4000) against Stripe payouts of the period."""
    gl_lines = gl[gl['account'] == '4000']
    column = 'gross'
    source_amount = float(payouts[column].sum()) * -1
    return AccountResult(
        account='4000', name='Subscription revenue', source='stripe',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=source_amount,
        tolerance=1.0,
        matched_lines=int(len(payouts)),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_services_revenue(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Professional services revenue (4010) against the services_revenue subledger export."""
    gl_lines = gl[gl['account'] == '4010']
    frame = subledgers.get('services_revenue')
    return AccountResult(
        account='4010', name='Professional services revenue', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'services_revenue'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_refunds_and_credits(gl: pd.DataFrame, payouts: pd.DataFrame, **_) -> AccountResult:
    """Refunds and credit notes (4900) against Stripe payouts of the period."""
    gl_lines = gl[gl['account'] == '4900']
    column = 'refunded'
    source_amount = float(payouts[column].sum()) * 1
    return AccountResult(
        account='4900', name='Refunds and credit notes', source='stripe',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=source_amount,
        tolerance=0.5,
        matched_lines=int(len(payouts)),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_payment_processing_fees(gl: pd.DataFrame, payouts: pd.DataFrame, **_) -> AccountResult:
    """Payment processing fees (6100) against Stripe payouts of the period."""
    gl_lines = gl[gl['account'] == '6100']
    column = 'fee'
    source_amount = float(payouts[column].sum()) * 1
    return AccountResult(
        account='6100', name='Payment processing fees', source='stripe',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=source_amount,
        tolerance=0.5,
        matched_lines=int(len(payouts)),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_bank_fees(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """Bank fees (6110) against the bank statement lines mapped to it."""
    gl_lines = gl[gl['account'] == '6110']
    bank_lines = bank[bank['account'] == '6110']
    matched, unmatched_gl, unmatched_bank = match_by_reference(gl_lines, bank_lines)
    fuzzy = match_by_amount_and_date(unmatched_gl, unmatched_bank, 'value_date')
    return AccountResult(
        account='6110', name='Bank fees', source='bank',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=float(bank_lines['amount'].sum()),
        tolerance=0.5,
        matched_lines=len(matched) + fuzzy,
        unmatched_gl_lines=max(len(unmatched_gl) - fuzzy, 0),
        unmatched_source_lines=max(len(unmatched_bank) - fuzzy, 0),
    )


def reconcile_savings_cash(gl: pd.DataFrame, bank: pd.DataFrame, **_) -> AccountResult:
    """Savings account (1070) against the bank statement lines mapped to it."""
    gl_lines = gl[gl['account'] == '1070']
    bank_lines = bank[bank['account'] == '1070']
    matched, unmatched_gl, unmatched_bank = match_by_reference(gl_lines, bank_lines)
    fuzzy = match_by_amount_and_date(unmatched_gl, unmatched_bank, 'value_date')
    return AccountResult(
        account='1070', name='Savings account', source='bank',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=float(bank_lines['amount'].sum()),
        tolerance=0.01,
        matched_lines=len(matched) + fuzzy,
        unmatched_gl_lines=max(len(unmatched_gl) - fuzzy, 0),
        unmatched_source_lines=max(len(unmatched_bank) - fuzzy, 0),
    )


def reconcile_intercompany_receivable(gl: pd.DataFrame, subledgers: dict, **_) -> AccountResult:
    """Intercompany receivable (1220) against the intercompany_receivable subledger export."""
    gl_lines = gl[gl['account'] == '1220']
    frame = subledgers.get('intercompany_receivable')
    return AccountResult(
        account='1220', name='Intercompany receivable', source='subledger',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=subledger_total(subledgers, 'intercompany_receivable'),
        tolerance=1.0,
        matched_lines=0 if frame is None else len(frame),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_accrued_bonus(gl: pd.DataFrame, schedules: dict, period_start: date, **_) -> AccountResult:
    """Accrued bonus (2120) against the accrued_bonus schedule maintained by the controllers."""
    gl_lines = gl[gl['account'] == '2120']
    return AccountResult(
        account='2120', name='Accrued bonus', source='schedule',
        gl_amount=float(gl_lines['amount'].sum()),
        source_amount=schedule_total(schedules, 'accrued_bonus', period_start),
        tolerance=5.0,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


def reconcile_gst_payable(gl: pd.DataFrame, tax: pd.DataFrame, **_) -> AccountResult:
    """GST payable (2220) against the tax engine's collected-minus-remitted figure."""
    gl_lines = gl[gl['account'] == '2220']
    return AccountResult(
        account='2220', name='GST payable', source='tax_engine',
        gl_amount=-float(gl_lines['amount'].sum()),
        source_amount=tax_total(tax, 'gst'),
        tolerance=0.5,
        matched_lines=len(gl_lines),
        unmatched_gl_lines=0,
        unmatched_source_lines=0,
    )


RECONCILERS = {
    '1010': reconcile_operating_cash,
    '1020': reconcile_payroll_cash,
    '1030': reconcile_eur_cash,
    '1040': reconcile_gbp_cash,
    '1050': reconcile_stripe_clearing,
    '1060': reconcile_paypal_clearing,
    '1200': reconcile_accounts_receivable,
    '1210': reconcile_unbilled_receivable,
    '1300': reconcile_prepaid_expenses,
    '1310': reconcile_prepaid_software,
    '2000': reconcile_accounts_payable,
    '2100': reconcile_accrued_expenses,
    '2110': reconcile_accrued_payroll,
    '2200': reconcile_sales_tax_payable,
    '2210': reconcile_vat_payable,
    '2300': reconcile_deferred_revenue,
    '2400': reconcile_customer_deposits,
    '4000': reconcile_subscription_revenue,
    '4010': reconcile_services_revenue,
    '4900': reconcile_refunds_and_credits,
    '6100': reconcile_payment_processing_fees,
    '6110': reconcile_bank_fees,
    '1070': reconcile_savings_cash,
    '1220': reconcile_intercompany_receivable,
    '2120': reconcile_accrued_bonus,
    '2220': reconcile_gst_payable,
}


def reconcile_all(gl: pd.DataFrame, sources: dict, period_start: date) -> pd.DataFrame:
    """Run every account's reconciliation; one failing account does not stop the others."""
    rows = []
    for account, reconcile in RECONCILERS.items():
        try:
            result = reconcile(gl, period_start=period_start, **sources)
        except KeyError as missing:
            logger.error('Account %s: source column %s missing', account, missing)
            rows.append({'account': account, 'status': STATUS_NO_SOURCE})
            continue
        rows.append(result.as_row())
    return pd.DataFrame(rows)


def unmapped_accounts(gl: pd.DataFrame) -> list[str]:
    """GL accounts with movement in the period that no reconciliation covers."""
    moving = gl.groupby('account')['amount'].sum()
    moving = moving[moving.abs() > 0.005]
    return sorted(set(moving.index) - set(RECONCILERS))


def summarize(results: pd.DataFrame) -> dict:
    """Counts per status, for the log and the close checklist."""
    counts = results['status'].value_counts().to_dict()
    counts['total_abs_difference'] = float(results['difference'].abs().sum())
    return counts


@transformer
def transform_reconcile_ledger(gl_entries: pd.DataFrame, bank_statements: pd.DataFrame,
                               stripe_payouts: pd.DataFrame, ledger_balances: pd.DataFrame,
                               *args, **kwargs) -> pd.DataFrame:
    """Reconcile last month's GL movement account by account.

    Args:
        gl_entries: GL journal lines of the period (load_gl_entries).
        bank_statements: bank statement lines (load_bank_statements).
        stripe_payouts: Stripe payouts with fees (load_stripe_payouts).
        ledger_balances: opening/closing balances per account from dbt
            (fct_ledger_balances); used for subledger and schedule accounts.

    Returns:
        One row per reconciled account: amounts, difference, tolerance, status.
    """
    period_start, period_end = previous_month_window(kwargs)
    gl = in_period(normalize_gl(gl_entries), 'posting_date', period_start, period_end)
    bank = in_period(normalize_bank(bank_statements), 'value_date', period_start, period_end)
    payouts = in_period(normalize_payouts(stripe_payouts), 'arrival_date', period_start, period_end)
    log_frame(logger, 'GL lines in period', gl)

    balances = ledger_balances.copy()
    balances.columns = [c.lower() for c in balances.columns]
    subledgers = {name: part for name, part in balances.groupby('subledger')}
    schedules = {name: part for name, part in balances[balances['kind'] == 'schedule'].groupby('subledger')}
    sources = {
        'bank': bank,
        'payouts': payouts,
        'subledgers': subledgers,
        'schedules': schedules,
        'tax': balances[balances['kind'] == 'tax'],
    }
    results = reconcile_all(gl, sources, period_start)
    results['period_start'] = period_start

    missing = unmapped_accounts(gl)
    if missing:
        logger.warning('Accounts with movement but no reconciliation: %s', ', '.join(missing))
    logger.info('Reconciliation summary for %s: %s', period_start, summarize(results))
    return results


@test
def test_every_account_reported(output, *args) -> None:
    assert set(output['account']) == set(RECONCILERS), 'An account is missing from the results'


@test
def test_status_values(output, *args) -> None:
    allowed = {STATUS_MATCHED, STATUS_WITHIN_TOLERANCE, STATUS_BREAK, STATUS_NO_SOURCE}
    assert set(output['status']).issubset(allowed), 'Unknown reconciliation status'


@test
def test_differences_are_numbers(output, *args) -> None:
    assert output['difference'].notna().all(), 'Difference could not be computed'
