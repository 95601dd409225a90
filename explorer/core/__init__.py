"""The API as data, values that validate themselves, request building and sending. No Qt."""
