"""Products and prices out: published variants → Product2 and the standard PricebookEntry.

Odoo owns the item master. A variant of a template with *Publish to Salesforce* is upserted as
a Product2 by the backend's product external id field (the variant id), then its price (the
variant's sales price) is written to the standard price book: entries that exist are updated,
missing ones created, one collection call each. Unpublishing deactivates the Product2.
"""

from ..const import to_18_char_id
from .base import SalesforceExporter, is_placeholder

PRICE_KEY = "_price"  # kept in the hashed record, not sent with the Product2


def quote(value):
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class ProductExporter(SalesforceExporter):
    binding_model = "retail.product.binding"
    object_name = "Product2"

    def __init__(self, backend, flow="products"):
        super().__init__(backend, flow)
        self.external_id_field = backend._sf_external_id_field("sf_product_external_id_field")
        self._standard_book = None

    def build(self, binding):
        product = binding.odoo_id.with_context(active_test=False)
        values = {self.external_id_field: str(product.id)}
        if not product.product_tmpl_id.sf_publish:
            if is_placeholder(binding.external_id):
                return None
            return {**values, "IsActive": False}
        return {
            **values,
            "Name": product.with_context(display_default_code=False).display_name,
            "ProductCode": product.default_code or None,
            "Description": product.description_sale or None,
            "IsActive": bool(product.active and product.sale_ok),
            PRICE_KEY: round(product.lst_price, 2),
        }

    def send(self, items):
        records = [{key: value for key, value in record.items() if key != PRICE_KEY}
                   for _binding, record in items]
        results = self.adapter.collection_upsert(self.object_name, self.external_id_field,
                                                 records)
        failures = self.collection_failures(items, results)
        self.adopt_ids(items, results, failures)
        priced = [(binding, record) for binding, record in items
                  if binding.id not in failures and PRICE_KEY in record]
        if priced:
            failures.update(self.send_prices(priced))
        return failures

    def standard_book(self):
        if self._standard_book is None:
            rows = self.adapter.query_all(
                "SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1")
            self.calls += 1
            self._standard_book = rows[0]["Id"] if rows else ""
        return self._standard_book

    def send_prices(self, items):
        from odoo.addons.retail_connector.errors import DataError

        book = self.standard_book()
        if not book:
            error = DataError("Salesforce has no standard price book: prices not sent.")
            return {binding.id: error for binding, _record in items}
        product_ids = ", ".join(quote(self.remote_id(binding)) for binding, _record in items)
        existing = {
            to_18_char_id(row["Product2Id"]): row["Id"]
            for row in self.adapter.query_all(
                "SELECT Id, Product2Id FROM PricebookEntry "
                f"WHERE Pricebook2Id = {quote(book)} AND Product2Id IN ({product_ids})")
        }
        self.calls += 1
        updates, creates = [], []
        for binding, record in items:
            values = {"UnitPrice": record[PRICE_KEY], "IsActive": record["IsActive"]}
            entry = existing.get(self.remote_id(binding))
            if entry:
                updates.append(((binding, record), {"id": entry, **values}))
            else:
                creates.append(((binding, record), {
                    "Pricebook2Id": book, "Product2Id": self.remote_id(binding), **values}))
        failures = {}
        for batch, call in ((updates, self.adapter.collection_update),
                            (creates, self.adapter.collection_create)):
            if batch:
                results = call("PricebookEntry", [values for _item, values in batch])
                failures.update(self.collection_failures([item for item, _v in batch], results))
        return failures

