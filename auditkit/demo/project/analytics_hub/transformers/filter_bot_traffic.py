from typing import Dict, List

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer

BOT_MARKERS = ('bot', 'crawler', 'spider', 'headless', 'pingdom', 'uptimerobot')


@transformer
def filter_bot_traffic(messages: List[Dict], *args, **kwargs) -> List[Dict]:
    """Drop events from known bots and synthetic monitors before enrichment."""
    kept = []
    for message in messages:
        agent = (message.get('context', {}).get('user_agent') or '').lower()
        if not any(marker in agent for marker in BOT_MARKERS):
            kept.append(message)
    return kept
