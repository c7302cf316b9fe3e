-- Ids reveal nothing (0033), so "newest first" lists order by their time with the id as the
-- tie-breaker. Orders of a whole unit had only the primary key to walk backwards.
set local role crm_owner;

create index sales_order_newest on crm.sales_order (tenant_id, ordered_at desc, id desc);
