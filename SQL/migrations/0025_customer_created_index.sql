-- Goals on new customers count a unit's customers created in a period: without this index that
-- read every customer of the unit.
set local role crm_owner;

create index customer_created on crm.customer (tenant_id, created_at);
