#!/usr/bin/env python3
"""Checks the checkout's invariants across the services' SQLite files (argument: the folder of a
run of `scripts/distributed`, with a folder per service, or the data folder of `emporium up`,
with every service's file in it). Waits up to 90 s for every saga to end and every email to go
out, then checks:

- every order is confirmed or failed;
- a confirmed order has exactly one captured payment, its reservation committed and a live
  shipment; a failed order has no payment left authorized or captured, no reservation held or
  committed, and no live shipment;
- no payment is captured for an order that is not confirmed;
- every ledger movement sums to zero;
- no stock is negative, and what is reserved is what held reservations hold;
- one email per order: each order's completion event was applied once, none lost;
- no order failed for want of its card (the vault keeps it across a crash), and the vault keeps
  no card whose payment was captured or voided.
"""

import sqlite3
import sys
import time
from pathlib import Path


def database(folder: Path, service: str) -> Path:
    """`<folder>/<service>/<service>.db` (services apart) or `<folder>/<service>.db` (one process)."""
    apart = folder / service / f"{service}.db"
    return apart if apart.exists() else folder / f"{service}.db"


def rows(folder: Path, service: str, query: str):
    connection = sqlite3.connect(f"file:{database(folder, service)}?mode=ro", uri=True)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def main() -> int:
    folder = Path(sys.argv[1])
    deadline = time.monotonic() + 90
    while True:
        orders = dict(rows(folder, "orders", "SELECT id, state FROM orders"))
        unfinished = [order for order, state in orders.items() if state not in ("confirmed", "failed")]
        emails = rows(folder, "notifications", "SELECT COUNT(*) FROM sent_messages")[0][0]
        if not unfinished and emails >= len(orders):
            break
        if time.monotonic() > deadline:
            print(f"after 90 s: {len(unfinished)} sagas not ended, {emails} emails for {len(orders)} orders")
            return 1
        time.sleep(0.5)

    problems = []
    payments = rows(folder, "payments", "SELECT order_id, state FROM payments")
    captured = {}
    open_payments = {}
    for order, state in payments:
        if state == "captured":
            captured[order] = captured.get(order, 0) + 1
        if state in ("authorized", "captured"):
            open_payments.setdefault(order, []).append(state)
    reservations = dict(rows(folder, "inventory", "SELECT id, state FROM reservations"))
    shipments = dict(rows(folder, "shipping", "SELECT order_id, state FROM shipments"))
    for order, state in orders.items():
        if state == "confirmed":
            if captured.get(order, 0) != 1:
                problems.append(f"confirmed order {order} has {captured.get(order, 0)} captured payments")
            if reservations.get(order) != "committed":
                problems.append(f"confirmed order {order}: reservation {reservations.get(order)}")
            if shipments.get(order) in (None, "cancelled"):
                problems.append(f"confirmed order {order}: shipment {shipments.get(order)}")
        else:
            if order in open_payments:
                problems.append(f"failed order {order} keeps payments {open_payments[order]}")
            if reservations.get(order) in ("held", "committed"):
                problems.append(f"failed order {order}: reservation {reservations[order]}")
            if shipments.get(order) not in (None, "cancelled"):
                problems.append(f"failed order {order}: shipment {shipments[order]}")
    for order in captured:
        if orders.get(order) != "confirmed":
            problems.append(f"a payment is captured for order {order}, which is {orders.get(order)}")
    unbalanced = rows(
        folder,
        "payments",
        "SELECT movement_id, SUM(amount_minor) FROM ledger_entries GROUP BY movement_id HAVING SUM(amount_minor) <> 0",
    )
    problems += [f"ledger movement {movement} sums to {total}" for movement, total in unbalanced]
    negative = rows(folder, "inventory", "SELECT sku FROM stock WHERE on_hand < 0 OR reserved < 0")
    problems += [f"stock of {sku} is negative" for (sku,) in negative]
    held = dict(
        rows(
            folder,
            "inventory",
            "SELECT l.sku, SUM(l.quantity) FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id "
            "WHERE r.state = 'held' GROUP BY l.sku",
        )
    )
    for sku, reserved in rows(folder, "inventory", "SELECT sku, reserved FROM stock WHERE reserved > 0"):
        if held.get(sku, 0) != reserved:
            problems.append(f"{sku}: {reserved} reserved, but held reservations hold {held.get(sku, 0)}")
    if emails != len(orders):
        problems.append(f"{emails} emails for {len(orders)} orders")
    for order, reason in rows(folder, "orders", "SELECT id, failure_reason FROM orders WHERE state = 'failed'"):
        if "card" in reason and "declined" not in reason:
            problems.append(f"order {order} failed for want of its card: {reason}")
    kept = rows(
        folder,
        "payments",
        "SELECT v.token, p.state FROM vault_cards v JOIN payments p ON p.id = v.payment_id "
        "WHERE p.state IN ('captured', 'voided', 'refunded', 'declined')",
    )
    problems += [f"the vault keeps card {token} of a payment {state}" for token, state in kept]

    confirmed = sum(1 for state in orders.values() if state == "confirmed")
    print(f"invariants: {len(orders)} orders ({confirmed} confirmed, {len(orders) - confirmed} failed), "
          f"{len(payments)} payments, {emails} emails")
    for problem in problems[:20]:
        print(f"  {problem}")
    if problems:
        print(f"invariants: {len(problems)} problems")
        return 1
    print("invariants: all hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
