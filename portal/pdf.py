"""The receipt as a PDF (fpdf2: pure Python, no system libraries). The core Helvetica font
covers Latin-1; anything outside it is replaced, so a product name never breaks the download."""

from decimal import Decimal

from fpdf import FPDF

from orders.choices import OrderStatus


def _t(value: object) -> str:
    text = str(value).replace("\u2014", "-").replace("\u2013", "-").replace("\u2026", "...")
    return text.encode("latin-1", "replace").decode("latin-1")


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def receipt_pdf(context: dict) -> bytes:
    order, lines, receipt = context["order"], context["lines"], context["receipt"]
    currency = order.currency
    pdf = FPDF(format="A4")
    pdf.set_title(_t(f"Receipt {order.purchase_id}"))
    pdf.set_author(_t(order.store.merchant.name))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _t(order.store.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    address = ", ".join(
        p for p in (order.store.address_line1, order.store.city, order.store.region) if p
    )
    if address:
        pdf.cell(0, 5, _t(address), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    ended = context["ended"]
    for label, value in (
        ("Receipt", order.purchase_id),
        ("Date", f"{ended:%Y-%m-%d %H:%M} ({order.store.time_zone})"),
        ("Trip", order.trip.trip_id),
    ):
        pdf.cell(35, 6, _t(label))
        pdf.cell(0, 6, _t(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    widths = (80, 20, 30, 25, 35)
    for width, head in zip(
        widths, ("Item", "Qty", "Unit price", "Discount", "Amount"), strict=True
    ):
        pdf.cell(width, 7, head, border="B", align="L" if head == "Item" else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in lines:
        qty = line.quantity.normalize()
        cells = (
            (line.name or line.sku)[:45],
            f"{qty:f}",
            _money(line.unit_price, currency),
            f"-{line.discount:.2f}" if line.discount else "",
            _money(line.price - line.discount, currency),
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, _t(value), align="L" if width == 80 else "R")
        pdf.ln()
        for promo in line.promotions or []:
            pdf.set_font("Helvetica", "I", 9)
            pdf.cell(0, 5, _t(f"    {promo.get('name', 'Promotion')}: -{promo.get('amount')}"))
            pdf.ln()
            pdf.set_font("Helvetica", "", 10)
    pdf.ln(2)
    totals = [
        ("Subtotal", order.sub_total),
        ("Promotions and loyalty", -order.promotions_total),
        ("Tax", order.tax_total),
        ("Total", order.total),
    ]
    owed = context.get("owed") or Decimal("0")
    unpaid = owed > 0 or order.status == OrderStatus.ERROR
    due = owed if owed > 0 else max(order.total - order.captured_amount, Decimal("0"))
    if unpaid:
        totals.append(("Paid", order.captured_amount))
        totals.append(("Balance due", due))
    if order.refunded_amount:
        totals.append(("Refunded", -order.refunded_amount))
    for label, amount in totals:
        pdf.set_font("Helvetica", "B" if label == "Total" else "", 11)
        pdf.cell(155, 7, _t(label), align="R")
        pdf.cell(35, 7, _t(_money(amount, currency)), align="R", new_x="LMARGIN", new_y="NEXT")
    if unpaid:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.set_text_color(170, 20, 20)
        state = "part of it was collected" if order.captured_amount > 0 else "the card was declined"
        pdf.multi_cell(
            0,
            7,
            _t(
                f"Payment failed: {state}. Balance due {_money(due, currency)} "
                "- pay it in the portal under Balance."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    if receipt is not None:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, "Payment", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        approved = order.captured_amount > 0
        rows = [
            ("Card", f"{receipt.brand.title()} ending {receipt.tail}"),
            ("Entry mode", receipt.pos_entry_mode),
            # an approval code only for an authorization that was approved (something was
            # captured): a declined one's code approves nothing
            ("Authorization code", receipt.authorization_response_code if approved else ""),
            ("Application id (AID)", receipt.application_id),
            ("Terminal", receipt.terminal_id),
            ("Statement transaction id", receipt.card_statement_transaction_id),
        ]
        for label, value in rows:
            if value:
                pdf.cell(55, 6, _t(label))
                pdf.cell(0, 6, _t(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
