"""The events that touched a record, for the "Channel Events" smart button of partners,
sale orders and pickings.

Plain functions rather than an abstract model: adding a model to res.partner's ``_inherit``
list breaks res.users, which delegates to res.partner.
"""


def compute_event_counts(records):
    counts = dict(
        records.env["retail.event"]
        ._read_group(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)],
            ["res_id"],
            ["__count"],
        )
    )
    for record in records:
        record.retail_event_count = counts.get(record.id, 0)


def events_action(record):
    record.ensure_one()
    action = record.env["ir.actions.act_window"]._for_xml_id("retail_connector.action_retail_event")
    action["domain"] = [("res_model", "=", record._name), ("res_id", "=", record.id)]
    action["context"] = {}
    return action
