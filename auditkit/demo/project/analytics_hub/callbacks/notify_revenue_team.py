import os

import requests

if 'callback' not in globals():
    from mage_ai.data_preparation.decorators import callback


@callback('success')
def success_callback(parent_block_data, **kwargs):
    """Post a short note to #sales-data once the warehouse table is updated."""
    webhook = os.getenv('SALES_SLACK_WEBHOOK_URL')
    if not webhook:
        return
    day = kwargs.get('ds')
    requests.post(webhook, json={'text': f'Daily revenue for {day} is in the warehouse.'}, timeout=10)


@callback('failure')
def failure_callback(parent_block_data, **kwargs):
    webhook = os.getenv('SALES_SLACK_WEBHOOK_URL')
    if webhook:
        requests.post(webhook, json={'text': 'Daily revenue export FAILED, see Mage logs.'}, timeout=10)
