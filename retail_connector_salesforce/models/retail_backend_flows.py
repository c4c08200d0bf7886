import logging
from datetime import timedelta

from odoo import _, fields, models

from odoo.addons.retail_connector.engine.importers import PartnerImporter
from odoo.addons.retail_connector.engine.intake import poll_into_inbox
from odoo.addons.retail_connector.errors import DataError
from odoo.addons.retail_connector.models.retail_backend import FROM_CHANNEL, FROM_ODOO

from ..const import ACCOUNT_FIELDS, CONTACT_FIELDS, DAILY_LIMIT_PAUSE_SECONDS, KEY_PREFIXES
from ..mappers import SalesforceAccountMapper
from .retail_backend_exports import EXPORT_FLOWS

_logger = logging.getLogger(__name__)

# topic -> (sObject, fields read, mapper function, external id field of the backend)
CUSTOMER_FLOWS = {
    "account": ("Account", ACCOUNT_FIELDS, SalesforceAccountMapper.account_to_customer,
                "sf_account_external_id_field"),
    "contact": ("Contact", CONTACT_FIELDS, SalesforceAccountMapper.contact_to_customer,
                "sf_contact_external_id_field"),
}
# catch-up flow (checkpoint name) -> topic
POLLED_FLOWS = {"accounts": "account", "contacts": "contact"}
GONE_CODES = ("NOT_FOUND", "ENTITY_IS_DELETED")
# The Salesforce allow-list: topic -> (handler, origin). A channel topic is the lowercase
# sObject type of an Outbound Message (or a poll); export retries are made by Odoo only, so
# an envelope naming ``sf:export/accounts`` is refused at the door.
SF_EVENT_TOPICS = {
    **dict.fromkeys(CUSTOMER_FLOWS, ("_sf_import_customer_event", FROM_CHANNEL)),
    "order": ("_sf_import_order", FROM_CHANNEL),
    **{
        f"export/{flow}": ("_sf_retry_export_event", FROM_ODOO)
        for flow in EXPORT_FLOWS
    },
}
# The call steps: what an event job reads from Salesforce before its record transaction.
SF_EVENT_CALLS = {
    **dict.fromkeys(CUSTOMER_FLOWS, "_sf_customer_call"),
    "order": "_sf_order_call",
}


class RetailBackend(models.Model):
    """Salesforce flows: customers in (Account, Contact), the catch-up poll, record links."""

    _inherit = "retail.backend"

    def _event_topics(self):
        if self.backend_type == "salesforce":
            return SF_EVENT_TOPICS
        return super()._event_topics()

    def _event_calls(self):
        if self.backend_type == "salesforce":
            return SF_EVENT_CALLS
        return super()._event_calls()

    def _sf_import_customer_event(self, event, prepared=None):
        """Import the record the call step read (read here when called directly); the write
        of the partner id back to Salesforce is left for after the import's commit."""
        direct = prepared is None
        if direct:
            prepared = self._sf_customer_call(event)
        if "gone" in prepared:
            return prepared["gone"]
        partner = self._sf_import_customer_record(event.topic, prepared["record"], prepared)
        if direct:
            self._run_event_then(prepared)
        return partner

    def _sf_flow(self, topic):
        object_name, read_fields, mapper, field_setting = CUSTOMER_FLOWS[topic]
        external_id_field = (self[field_setting] or "").strip()
        if external_id_field and external_id_field not in read_fields:
            read_fields = (*read_fields, external_id_field)
        return object_name, read_fields, mapper, external_id_field

    def _sf_customer_call(self, event):
        """Call step of an Account or Contact event: read the current record.

        The write-back of the partner id happens only while the record's external id field
        is empty: the update it makes comes back (Outbound Message, poll) with the field
        filled, is imported again and writes nothing, so our own write never loops.

        :returns: ``{"record": fields}``, or ``{"gone": report}`` for a deleted record
        """
        from ..adapter import SalesforceAdapter

        object_name, read_fields, _mapper, _field = self._sf_flow(event.topic)
        record_id = event.external_id or (event._payload_json() or {}).get("Id")
        if not record_id:
            raise DataError(_("The %s event names no Salesforce Id.", object_name))
        adapter = SalesforceAdapter(self)
        try:
            record = adapter.get(object_name, record_id, fields=read_fields)
        except DataError as error:
            if error.details.get("error_code") in GONE_CODES:
                return {"gone": f"{object_name} {record_id} is deleted in Salesforce: "
                                "nothing imported"}
            raise
        if record.get("IsDeleted"):
            return {"gone": f"{object_name} {record_id} is deleted in Salesforce: nothing imported"}
        return {"record": record}

    def _sf_import_customer_record(self, topic, record, prepared):
        """Check and import the record; return the partner. Writing the partner id back
        is added to ``prepared["then"]``, done once the import is committed."""
        object_name, _read_fields, mapper, external_id_field = self._sf_flow(topic)
        customer = mapper(record)
        if topic == "account":
            self._sf_check_required_fields(customer, record)
        partner = PartnerImporter(self).import_customer(customer)
        if external_id_field and not record.get(external_id_field):
            values = {external_id_field: str(partner.id)}
            prepared.setdefault("then", []).append(
                ("_sf_write_back", (object_name, record["Id"], values))
            )
        return partner

    def _sf_write_back(self, object_name, record_id, values):
        """Write Odoo's id into the Salesforce record (after the import's commit)."""
        from ..adapter import SalesforceAdapter

        SalesforceAdapter(self).update(object_name, record_id, values)

    def _sf_check_required_fields(self, customer, record):
        """Raise DataError naming what a new Account lacks for Odoo to invoice it.

        The check guards the creation of partners: an Account already bound to a partner
        (one Odoo created from a Shopify customer and exported, say) updates that partner
        with what it brings, and a partner's own gaps are not the Account's to fix.
        """
        required = self._sf_required_partner_fields()
        if not required:
            return
        Binding = self.env["retail.partner.binding"]
        if Binding._find(self, customer.external_id):
            return
        values = PartnerImporter(self).partner_values(customer)
        Partner = self.env["res.partner"]
        missing = [
            f"{Partner._fields[name].string} ({name})" for name in required
            if not values.get(name)
        ]
        if missing:
            raise DataError(_(
                "Account %(name)s (%(id)s) lacks what Odoo needs to invoice it: %(missing)s. "
                "Complete the Account in Salesforce (billing address), then retry.",
                name=record.get("Name") or "", id=record.get("Id"), missing=", ".join(missing),
            ))

    # ------------------------------------------------------------------ catch-up
    def _catch_up(self):
        if self.backend_type != "salesforce":
            return super()._catch_up()
        from ..adapter import SalesforceAdapter

        adapter = SalesforceAdapter(self)
        counts = {}
        for flow, topic in POLLED_FLOWS.items():
            if topic == "contact" and not self.sf_import_contacts:
                continue
            counts[flow] = poll_into_inbox(self, flow, topic, self._sf_fetcher(adapter, topic))
        if self.sf_import_orders:
            counts["orders"] = poll_into_inbox(self, "orders", "order",
                                               self._sf_order_fetcher(adapter))
        report = ", ".join(f"{count} {flow}" for flow, count in counts.items())
        # sudo: the last sync time is runtime bookkeeping on the backend, written by jobs whose user
        # may not edit its configuration
        self.sudo().write({"sf_last_sync_at": fields.Datetime.now(),
                           "sf_last_sync_info": report})
        return f"polled {report}"

    def _sf_fetcher(self, adapter, topic):
        """``fetch(since)`` for :func:`poll_into_inbox`: records changed since ``since``."""
        object_name, read_fields, _mapper, _field = self._sf_flow(topic)

        def fetch(since):
            soql = f"SELECT {', '.join(read_fields)} FROM {object_name}"
            if since:
                soql += f" WHERE SystemModstamp > {since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
            soql += " ORDER BY SystemModstamp, Id"
            for record in adapter.iter_query(soql):
                yield record["Id"], record["SystemModstamp"], record

        return fetch

    def _run_catch_up(self):
        """The scheduled catch-up job polls a Salesforce backend at its polling interval."""
        self.ensure_one()
        if (
            self.backend_type == "salesforce"
            and self.sf_poll_interval
            and self.sf_last_sync_at
            and not self.env.context.get("retail_force_poll")
        ):
            due = self.sf_last_sync_at + timedelta(minutes=self.sf_poll_interval)
            if fields.Datetime.now() < due:
                return f"polled at {self.sf_last_sync_at}: next poll after {due}"
        return super()._run_catch_up()

    # ------------------------------------------------------------------ health and links
    def _circuit_probe(self):
        if self.backend_type != "salesforce":
            return super()._circuit_probe()
        from ..adapter import SalesforceAdapter

        return SalesforceAdapter(self).limits()

    def _pause_probe(self):
        """After a daily-limit pause: ask ``/limits`` whether requests remain (a refusal
        raises QuotaExceeded again, and the pause goes on)."""
        if self.backend_type != "salesforce":
            return super()._pause_probe()
        from ..adapter import SalesforceAdapter

        adapter = SalesforceAdapter(self)
        daily = adapter.limits().get("DailyApiRequests") or {}
        used, maximum = adapter.api_usage or (0, 0)
        if daily.get("Remaining", 1) <= 0 or (maximum and used >= maximum):
            return DAILY_LIMIT_PAUSE_SECONDS
        return 0

    def _sf_record_base_url(self):
        domain = self._sf_domain() if self.sf_login_domain == "custom" else ""
        if domain.endswith(".my"):
            return f"https://{domain.removesuffix('.my')}.lightning.force.com"
        return self.sf_instance_url or False

    def _binding_external_url(self, binding):
        if self.backend_type != "salesforce":
            return super()._binding_external_url(binding)
        base, record_id = self._sf_record_base_url(), binding.external_id or ""
        if not base or not record_id or record_id.startswith("odoo:"):
            return False  # made in Odoo, not in Salesforce yet
        object_name = KEY_PREFIXES.get(record_id[:3])
        if not object_name:
            return f"{base}/{record_id}"
        return f"{base}/lightning/r/{object_name}/{record_id}/view"
