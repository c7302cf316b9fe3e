-- The JSON the orders.* methods answer. Volatile on purpose: called right after crm.create_order
-- or crm.set_order_status in the same statement, it must see what they wrote (a stable function
-- would read the statement's starting snapshot).
set local role crm_owner;

-- PL/pgSQL so that its statement keeps its plan (as a SQL function with sub-selects it was planned
-- on every call, in every orders.create and orders.get).
create or replace function crm.order_json(p_order_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('id', o.id::text, 'customer_id', o.customer_id::text, 'staff_id', o.staff_id::text,
            'campaign_id', o.campaign_id::text, 'status', o.status, 'ordered_at', o.ordered_at, 'version', o.version,
            'lines', (select json_agg(json_build_object('line_no', l.line_no, 'product_id', l.product_id::text,
                              'quantity', l.quantity::text, 'unit_price', l.unit_price::text,
                              'amount', (l.quantity * l.unit_price)::numeric(14,2)::text) order by l.line_no)
                        from crm.order_line l where l.tenant_id = o.tenant_id and l.order_id = o.id),
            'total', (select coalesce(sum(l.quantity * l.unit_price), 0)::numeric(14,2)::text
                        from crm.order_line l where l.tenant_id = o.tenant_id and l.order_id = o.id))
          from crm.sales_order o
         where o.tenant_id = any(crm.visible_tenants()) and o.id = p_order_id);
end $$;

grant execute on function crm.order_json(bigint) to crm_unit;
