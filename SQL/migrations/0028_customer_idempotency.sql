-- customers.create may carry an idempotency key, as orders, payments and contacts do: a client
-- whose request was caught by a restart (-32050) or a dropped connection sends it again with the
-- same key and gets the customer the first attempt created, never a second one.
set local role crm_owner;

alter table crm.customer add column idempotency_key text;
create unique index customer_idempotency on crm.customer (tenant_id, idempotency_key) where idempotency_key is not null;
comment on column crm.customer.idempotency_key is 'The key of the customers.create request that made the row; a retry with it returns this customer.';
