import hashlib
from datetime import datetime, timezone
from typing import Dict, List

from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer

logger = get_block_logger('transform_enrich_product_events')

EVENT_CATEGORIES = {
    'page_view': 'navigation',
    'product_viewed': 'catalog',
    'product_added': 'cart',
    'product_removed': 'cart',
    'checkout_started': 'checkout',
    'order_completed': 'checkout',
    'search': 'catalog',
}
REQUIRED_FIELDS = ('message_id', 'event')
# Mobile clients queue events offline; anything older than this is late data that the
# real-time dashboards would misplace, so it is tagged rather than dropped.
LATE_AFTER_SECONDS = 6 * 3600
# Kafka redelivers after a consumer rebalance; the last ids seen are kept per process to
# drop those repeats (ClickHouse's ReplacingMergeTree removes the rest eventually).
SEEN_IDS_LIMIT = 50_000
_seen_ids: dict[str, None] = {}


def pseudonymize(value: str | None) -> str | None:
    """Hash user identifiers so raw emails never reach ClickHouse."""
    if not value:
        return None
    return hashlib.sha256(value.lower().encode()).hexdigest()[:16]


def parse_time(value) -> datetime | None:
    """ISO-8601 or epoch milliseconds to an aware UTC datetime; None when unreadable."""
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        parsed = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        logger.debug('Unreadable sent_at of type %s', type(value).__name__)
        return None


def as_price(value) -> float | None:
    """Prices arrive as numbers or strings such as '19.90'; negative prices are invalid."""
    try:
        price = round(float(value), 2)
    except (TypeError, ValueError):
        logger.debug('Unreadable price of type %s', type(value).__name__)
        return None
    return price if price >= 0 else None


def is_repeat(event_id: str) -> bool:
    """True when the id was seen recently in this process; remembers it otherwise."""
    if event_id in _seen_ids:
        return True
    _seen_ids[event_id] = None
    if len(_seen_ids) > SEEN_IDS_LIMIT:
        _seen_ids.pop(next(iter(_seen_ids)))
    return False


@transformer
def transform_enrich_product_events(messages: List[Dict], *args, **kwargs) -> List[Dict]:
    """Flatten each event, add its category and a processing timestamp, hash identifiers.

    Events without an id or name are dropped, redelivered events are skipped, and
    events sent more than LATE_AFTER_SECONDS ago are kept with ``is_late`` set.
    """
    now = datetime.now(timezone.utc)
    processed_at = now.isoformat()
    rows, invalid, repeats = [], 0, 0
    for message in messages:
        if any(not message.get(field) for field in REQUIRED_FIELDS):
            invalid += 1
            continue
        if is_repeat(message['message_id']):
            repeats += 1
            continue
        properties = message.get('properties') or {}
        sent_at = parse_time(message.get('sent_at'))
        rows.append({
            'event_id': message['message_id'],
            'event': message['event'],
            'category': EVENT_CATEGORIES.get(message['event'], 'other'),
            'user_key': pseudonymize(message.get('user_id') or message.get('email')),
            'product_id': properties.get('product_id'),
            'price': as_price(properties.get('price')),
            'currency': (properties.get('currency') or 'USD').upper(),
            'sent_at': sent_at.isoformat() if sent_at else None,
            'is_late': bool(sent_at and (now - sent_at).total_seconds() > LATE_AFTER_SECONDS),
            'processed_at': processed_at,
        })
    if invalid or repeats:
        logger.warning('Dropped %d invalid and %d redelivered events', invalid, repeats)
    logger.info('Enriched %d events', len(rows))
    return rows
