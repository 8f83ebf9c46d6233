import numpy as np
import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

# Position-based ("U-shaped") attribution: 40% to the first touch, 40% to the last,
# the remaining 20% spread over the touches in between.
FIRST_TOUCH_WEIGHT = 0.4
LAST_TOUCH_WEIGHT = 0.4

# (utm_source, utm_medium) -> reporting channel group. Maintained by marketing ops;
# anything not listed falls back to the medium-only rules further down.
CHANNEL_GROUPS = {
    ('google', 'referral'): 'referral',
    ('google', 'paid_social'): 'paid_social',
    ('google', 'social'): 'organic_social',
    ('google', 'video'): 'video',
    ('google', 'cpc'): 'paid_search',
    ('bing', 'organic'): 'organic_search',
    ('bing', 'video'): 'video',
    ('bing', 'paid_social'): 'paid_social',
    ('bing', 'email'): 'email',
    ('bing', 'cpc'): 'paid_search',
    ('duckduckgo', 'video'): 'video',
    ('duckduckgo', 'social'): 'organic_social',
    ('duckduckgo', 'cpc'): 'paid_search',
    ('duckduckgo', 'display'): 'display',
    ('duckduckgo', 'affiliate'): 'affiliate',
    ('yahoo', 'display'): 'display',
    ('yahoo', 'organic'): 'organic_search',
    ('yahoo', 'affiliate'): 'affiliate',
    ('yahoo', 'cpc'): 'paid_search',
    ('yahoo', 'email'): 'email',
    ('ecosia', 'display'): 'display',
    ('ecosia', 'cpc'): 'paid_search',
    ('ecosia', 'video'): 'video',
    ('ecosia', 'email'): 'email',
    ('ecosia', 'affiliate'): 'affiliate',
    ('facebook', 'social'): 'organic_social',
    ('facebook', 'cpc'): 'paid_search',
    ('facebook', 'email'): 'email',
    ('facebook', 'display'): 'display',
    ('facebook', 'video'): 'video',
    ('instagram', 'cpc'): 'paid_search',
    ('instagram', 'social'): 'organic_social',
    ('instagram', 'video'): 'video',
    ('instagram', 'email'): 'email',
    ('instagram', 'organic'): 'organic_search',
    ('linkedin', 'email'): 'email',
    ('linkedin', 'display'): 'display',
    ('linkedin', 'organic'): 'organic_search',
    ('linkedin', 'video'): 'video',
    ('linkedin', 'cpc'): 'paid_search',
    ('twitter', 'email'): 'email',
    ('twitter', 'paid_social'): 'paid_social',
    ('twitter', 'cpc'): 'paid_search',
    ('twitter', 'video'): 'video',
    ('twitter', 'referral'): 'referral',
    ('x', 'social'): 'organic_social',
    ('x', 'referral'): 'referral',
    ('x', 'cpc'): 'paid_search',
    ('x', 'email'): 'email',
    ('x', 'display'): 'display',
    ('tiktok', 'cpc'): 'paid_search',
    ('tiktok', 'social'): 'organic_social',
    ('tiktok', 'affiliate'): 'affiliate',
    ('tiktok', 'referral'): 'referral',
    ('tiktok', 'email'): 'email',
    ('reddit', 'display'): 'display',
    ('reddit', 'referral'): 'referral',
    ('reddit', 'social'): 'organic_social',
    ('reddit', 'email'): 'email',
    ('reddit', 'video'): 'video',
    ('pinterest', 'referral'): 'referral',
    ('pinterest', 'email'): 'email',
    ('pinterest', 'organic'): 'organic_search',
    ('pinterest', 'display'): 'display',
    ('pinterest', 'video'): 'video',
    ('youtube', 'organic'): 'organic_search',
    ('youtube', 'email'): 'email',
    ('youtube', 'affiliate'): 'affiliate',
    ('youtube', 'social'): 'organic_social',
    ('youtube', 'paid_social'): 'paid_social',
    ('quora', 'affiliate'): 'affiliate',
    ('quora', 'email'): 'email',
    ('quora', 'video'): 'video',
    ('quora', 'cpc'): 'paid_search',
    ('quora', 'referral'): 'referral',
    ('newsletter', 'video'): 'email',
    ('newsletter', 'display'): 'email',
    ('newsletter', 'organic'): 'email',
    ('newsletter', 'paid_social'): 'email',
    ('newsletter', 'affiliate'): 'email',
    ('mailchimp', 'affiliate'): 'email',
    ('mailchimp', 'display'): 'email',
    ('mailchimp', 'cpc'): 'email',
    ('mailchimp', 'referral'): 'email',
    ('mailchimp', 'video'): 'email',
    ('hubspot', 'video'): 'email',
    ('hubspot', 'referral'): 'email',
    ('hubspot', 'paid_social'): 'email',
    ('hubspot', 'affiliate'): 'email',
    ('hubspot', 'display'): 'email',
    ('klaviyo', 'affiliate'): 'email',
    ('klaviyo', 'video'): 'email',
    ('klaviyo', 'cpc'): 'email',
    ('klaviyo', 'display'): 'email',
    ('klaviyo', 'paid_social'): 'email',
    ('sendgrid', 'affiliate'): 'email',
    ('sendgrid', 'organic'): 'email',
    ('sendgrid', 'cpc'): 'email',
    ('sendgrid', 'referral'): 'email',
    ('sendgrid', 'paid_social'): 'email',
    ('partner_portal', 'affiliate'): 'affiliate',
    ('partner_portal', 'email'): 'email',
    ('partner_portal', 'referral'): 'referral',
    ('partner_portal', 'social'): 'organic_social',
    ('partner_portal', 'paid_social'): 'paid_social',
    ('g2', 'cpc'): 'paid_search',
    ('g2', 'affiliate'): 'affiliate',
    ('g2', 'paid_social'): 'paid_social',
    ('g2', 'organic'): 'organic_search',
    ('g2', 'email'): 'email',
    ('capterra', 'organic'): 'organic_search',
    ('capterra', 'affiliate'): 'affiliate',
    ('capterra', 'cpc'): 'paid_search',
    ('capterra', 'video'): 'video',
    ('capterra', 'paid_social'): 'paid_social',
    ('producthunt', 'paid_social'): 'paid_social',
    ('producthunt', 'social'): 'organic_social',
    ('producthunt', 'affiliate'): 'affiliate',
    ('producthunt', 'display'): 'display',
    ('producthunt', 'referral'): 'referral',
    ('hackernews', 'organic'): 'organic_search',
    ('hackernews', 'paid_social'): 'paid_social',
    ('hackernews', 'social'): 'organic_social',
    ('hackernews', 'display'): 'display',
    ('hackernews', 'email'): 'email',
    ('medium', 'email'): 'email',
    ('medium', 'paid_social'): 'paid_social',
    ('medium', 'display'): 'display',
    ('medium', 'social'): 'organic_social',
    ('medium', 'video'): 'video',
    ('substack', 'email'): 'email',
    ('substack', 'display'): 'display',
    ('substack', 'paid_social'): 'paid_social',
    ('substack', 'referral'): 'referral',
    ('substack', 'social'): 'organic_social',
    ('podcast', 'social'): 'organic_social',
    ('podcast', 'paid_social'): 'paid_social',
    ('podcast', 'cpc'): 'paid_search',
    ('podcast', 'organic'): 'organic_search',
    ('podcast', 'referral'): 'referral',
    ('webinar', 'social'): 'organic_social',
    ('webinar', 'video'): 'video',
    ('webinar', 'cpc'): 'paid_search',
    ('webinar', 'affiliate'): 'affiliate',
    ('webinar', 'email'): 'email',
    ('meetup', 'paid_social'): 'paid_social',
    ('meetup', 'email'): 'email',
    ('meetup', 'video'): 'video',
    ('meetup', 'cpc'): 'paid_search',
    ('meetup', 'organic'): 'organic_search',
}

MEDIUM_FALLBACK = {
    'cpc': 'paid_search',
    'ppc': 'paid_search',
    'paidsearch': 'paid_search',
    'organic': 'organic_search',
    'paid_social': 'paid_social',
    'paidsocial': 'paid_social',
    'social': 'organic_social',
    'email': 'email',
    'e-mail': 'email',
    'referral': 'referral',
    'display': 'display',
    'banner': 'display',
    'affiliate': 'affiliate',
    'video': 'video',
}


def normalize_utm(value) -> str:
    """Lower-case, trimmed UTM value; missing values become an empty string."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ''
    return str(value).strip().lower().replace(' ', '_')


def channel_group(source, medium) -> str:
    """Reporting channel group of one touch."""
    key = (normalize_utm(source), normalize_utm(medium))
    if key in CHANNEL_GROUPS:
        return CHANNEL_GROUPS[key]
    if key[1] in MEDIUM_FALLBACK:
        return MEDIUM_FALLBACK[key[1]]
    if key == ('', ''):
        return 'direct'
    return 'other'


def position_weights(n_touches: int) -> np.ndarray:
    """Credit share of each touch in a path of ``n_touches`` touches, summing to 1."""
    if n_touches <= 0:
        return np.array([])
    if n_touches == 1:
        return np.array([1.0])
    if n_touches == 2:
        return np.array([0.5, 0.5])
    middle = (1 - FIRST_TOUCH_WEIGHT - LAST_TOUCH_WEIGHT) / (n_touches - 2)
    weights = np.full(n_touches, middle)
    weights[0] = FIRST_TOUCH_WEIGHT
    weights[-1] = LAST_TOUCH_WEIGHT
    return weights


def credit_path(path: pd.DataFrame) -> pd.DataFrame:
    """Split one customer's conversion revenue over the touches of the path."""
    path = path.sort_values('touched_at')
    weights = position_weights(len(path))
    revenue = float(path['order_total'].iloc[-1])
    return path.assign(credit=weights * revenue)


@transformer
def compute_position_based(df: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Position-based attribution per (channel group, campaign).

    Args:
        df: sessionized touchpoints with customer_id, touched_at, channel (utm source),
            utm_medium, campaign, converted_at and order_total.

    Returns:
        One row per channel group and campaign with ``revenue_position_based``.
    """
    converted = df[df['converted_at'].notna()].copy()
    converted['channel_group'] = [
        channel_group(s, m) for s, m in zip(converted['channel'], converted.get('utm_medium', ''))
    ]
    credited = converted.groupby('customer_id', group_keys=False).apply(credit_path)
    out = credited.groupby(['channel', 'campaign'], as_index=False)['credit'].sum()
    return out.rename(columns={'credit': 'revenue_position_based'})


@test
def test_weights_sum_to_one(*args) -> None:
    for n in range(1, 12):
        assert abs(position_weights(n).sum() - 1) < 1e-9, f'weights of {n} touches'


@test
def test_output(output, *args) -> None:
    assert 'revenue_position_based' in output.columns
