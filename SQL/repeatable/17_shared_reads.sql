-- A guest known at every hotel: what the other units that share with the caller's unit know of a
-- customer, for customers.get and customers.lookup (20_customers_api.sql, 35_customer_merge_lookup.sql).
-- The rows are read under the caller's own policies (0009, 0049: shared reads, read-only), so
-- this shows nothing a unit could not select itself. The callers guard their shared branch with
-- `exists (<a live share made to the caller's unit>)`, written out as a sub-select (an init plan,
-- computed once; a SQL function with a sub-select is never inlined and was planned on every
-- call), so that a unit nobody shares with pays one index probe (customer_share_receiver).
set local role crm_owner;

-- The answer's `shared` part when nothing is shared with the unit: the same shape, empty.
create or replace function crm.shared_customer_none() returns json
    language sql immutable
    return '{"customers": [], "orders": [], "open_cases": [], "last_quotes": []}'::json;

-- The same guest in other units: the customer itself when it is another unit's (shared with the
-- caller's), and every customer of another unit the caller reads that has one of its phones or
-- emails (the contact index, whose policy shows the caller only its own and shared customers'
-- values). For each: the unit it comes from (slug and name, from the unit directory: a unit reads
-- no other unit's row of crm.tenant), its balance, sales of the last 12 months and tier; and across
-- them the last 10 orders (stays), the open service cases and the last price quoted per product,
-- each naming its unit. PL/pgSQL, so that the one statement keeps its plan for the session.
create or replace function crm.shared_customer_json(p_tenant uuid, p_id bigint, p_phones text[], p_emails text[]) returns json
    language plpgsql stable as $$
begin
    return (
        with other as materialized (
            select distinct x.tenant_id, x.customer_id
              from (select p_tenant, p_id
                    union all
                    select k.tenant_id, k.customer_id from crm.customer_contact k
                     where k.kind = 'phone' and k.value = any (p_phones)
                    union all
                    select k.tenant_id, k.customer_id from crm.customer_contact k
                     where k.kind = 'email' and k.value = any (p_emails)) x(tenant_id, customer_id)
             where x.tenant_id <> (select crm.current_tenant())),
        unit as materialized (
            select d.id, d.slug, d.name from crm.tenant_directory() d where d.id in (select o.tenant_id from other o)),
        guest as materialized (
            select c.tenant_id, c.id, c.name, c.lifecycle_stage, u.slug, u.name as unit_name
              from other o
              join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id and c.merged_into is null
              join unit u on u.id = o.tenant_id)
        select json_build_object(
            'customers', coalesce((select json_agg(json_build_object(
                    'unit', g.slug, 'unit_name', g.unit_name, 'customer_id', g.id::text, 'name', g.name,
                    'lifecycle_stage', g.lifecycle_stage,
                    'balance', (coalesce((select sum(v.amount) from crm.invoice v where v.tenant_id = g.tenant_id and v.customer_id = g.id), 0)
                                - coalesce((select sum(p.amount) from crm.payment p where p.tenant_id = g.tenant_id and p.customer_id = g.id), 0)
                               )::numeric(14,2)::text,
                    'sales_last_12_months', (select coalesce(sum(s.revenue), 0)::numeric(14,2)::text from crm.customer_month_summary s
                                              where s.tenant_id = g.tenant_id and s.customer_id = g.id
                                                and s.month >= date_trunc('month', now() - interval '11 months')),
                    'tier', (select t.tier from crm.customer_tier_snapshot t where t.tenant_id = g.tenant_id and t.customer_id = g.id
                              and t.year = extract(year from now())::int)) order by g.slug, g.id)
                  from guest g), '[]'::json),
            'orders', coalesce((select json_agg(json_build_object(
                    'unit', x.slug, 'unit_name', x.unit_name, 'customer_id', x.customer_id::text, 'id', x.id::text,
                    'status', x.status, 'ordered_at', x.ordered_at,
                    'total', (select sum(l.quantity * l.unit_price)::numeric(14,2)::text from crm.order_line l
                               where l.tenant_id = x.tenant_id and l.order_id = x.id)) order by x.ordered_at desc, x.id desc)
                  from (select o.*, g.slug, g.unit_name from guest g
                          cross join lateral (select * from crm.sales_order o where o.tenant_id = g.tenant_id and o.customer_id = g.id
                                               order by o.ordered_at desc limit 10) o
                         order by o.ordered_at desc, o.id desc limit 10) x), '[]'::json),
            'open_cases', coalesce((select json_agg(json_build_object(
                    'unit', g.slug, 'unit_name', g.unit_name, 'customer_id', g.id::text, 'id', k.id::text,
                    'category', k.category, 'priority', k.priority, 'status', k.status, 'subject', k.subject,
                    'opened_at', k.opened_at, 'sla_due_at', k.sla_due_at) order by k.sla_due_at, k.id)
                  from guest g join crm.service_case k on k.tenant_id = g.tenant_id and k.customer_id = g.id
                   and k.status not in ('resolved', 'closed')), '[]'::json),
            'last_quotes', coalesce((select json_agg(json_build_object(
                    'unit', q.slug, 'unit_name', q.unit_name, 'customer_id', q.customer_id::text, 'product_id', q.product_id::text,
                    'price', q.price::text, 'quoted_at', q.quoted_at) order by q.slug, q.product_id)
                  from (select distinct on (q.tenant_id, q.product_id) q.*, g.slug, g.unit_name
                          from guest g join crm.quoted_price q on q.tenant_id = g.tenant_id and q.customer_id = g.id
                         order by q.tenant_id, q.product_id, q.quoted_at desc, q.id desc) q), '[]'::json)));
end $$;

grant execute on function crm.shared_customer_none(),
    crm.shared_customer_json(uuid, bigint, text[], text[]) to crm_unit, crm_viewer;
