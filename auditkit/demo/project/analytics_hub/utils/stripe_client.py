"""A thin, paginating Stripe client used by the sales loaders."""
import os
import time

import requests

STRIPE_API = 'https://api.stripe.com/v1'
PAGE_SIZE = 100


class StripeClient:
    """Reads list endpoints page by page; retries on HTTP 429 with backoff."""

    def __init__(self, api_key: str | None = None, max_retries: int = 3):
        self.api_key = api_key or os.environ['STRIPE_API_KEY']
        self.max_retries = max_retries
        self.session = requests.Session()
        self.session.auth = (self.api_key, '')

    def list_all(self, resource: str, created_gte: int, created_lt: int) -> list[dict]:
        """Every object of ``resource`` created in [created_gte, created_lt)."""
        params = {'limit': PAGE_SIZE, 'created[gte]': created_gte, 'created[lt]': created_lt}
        rows: list[dict] = []
        while True:
            page = self._get(f'{STRIPE_API}/{resource}', params)
            rows.extend(page['data'])
            if not page.get('has_more'):
                return rows
            params['starting_after'] = page['data'][-1]['id']

    def _get(self, url: str, params: dict) -> dict:
        for attempt in range(1, self.max_retries + 1):
            response = self.session.get(url, params=params, timeout=30)
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            time.sleep(2 ** attempt)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.session.close()
