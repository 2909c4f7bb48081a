"""The stored form of an opted-out address: the same hash whichever HMAC call makes it."""

from __future__ import annotations

import hashlib
import hmac

from drip.domain.address_hash import address_hash, keyed, plain_hash


def test_the_keyed_hash_is_hmac_sha256_of_the_plain_hash_as_stored_before():
    key = b"a key"
    plain = plain_hash("sms", "+14155550123")
    assert keyed(plain, key) == hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()
    assert address_hash("email", " Ana@Example.com ", key) == keyed(plain_hash("email", "ana@example.com"), key)
