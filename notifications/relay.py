"""Claims outbox rows and fans them out to deliveries. (Completed by issue #4.)"""


def relay_pending() -> int:
    return 0
