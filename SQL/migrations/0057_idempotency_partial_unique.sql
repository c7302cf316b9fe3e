-- An order or a contact made without an idempotency key (most of them) no longer adds an entry to
-- the unique index on (tenant_id, idempotency_key): the uniqueness holds among the keys given, as
-- for crm.customer (customer_idempotency, 0003). One index entry less for each orders.create and
-- interactions.log (and no growing run of (unit, NULL) entries at the end of each unit's range).
-- Every reader looks a key up by equality, which the planner proves not null; the ON CONFLICT of
-- crm.place_order names the index's predicate (22_orders_api.sql).
set local role crm_owner;

create unique index sales_order_idempotency on crm.sales_order (tenant_id, idempotency_key) where idempotency_key is not null;
alter table crm.sales_order drop constraint sales_order_tenant_id_idempotency_key_key;

create unique index interaction_idempotency on crm.interaction (tenant_id, idempotency_key) where idempotency_key is not null;
alter table crm.interaction drop constraint interaction_tenant_id_idempotency_key_key;
