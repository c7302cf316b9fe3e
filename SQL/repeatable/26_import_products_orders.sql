-- `crm import products FILE` and `crm import orders FILE`: check the rows staged in
-- pg_temp.import_stage (line, data jsonb), insert the good ones, return the rejects.
set local role crm_owner;

-- True when the text casts to timestamptz (PostgreSQL 15 has no pg_input_is_valid).
create or replace function crm.is_timestamp(p text) returns boolean language plpgsql immutable as $$
begin
    perform p::timestamptz;
    return true;
exception when others then
    return false;
end $$;

create or replace function crm.import_products() returns table (line int, reason text) language plpgsql as $$
begin
    update pg_temp.import_stage s set reason = case
        when coalesce(btrim(s.data->>'sku'), '') = '' then 'sku is required'
        when coalesce(btrim(s.data->>'name'), '') = '' then 'name is required'
        when coalesce(s.data->>'list_price', '') !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'list_price is not an amount'
        when coalesce(s.data->>'unit_cost', '') !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'unit_cost is not an amount'
        when s.data ? 'active' and lower(s.data->>'active') not in ('true', 'false', 't', 'f', '1', '0', 'yes', 'no') then 'active is not true or false'
        when s.data ? 'surplus' and lower(s.data->>'surplus') not in ('true', 'false', 't', 'f', '1', '0', 'yes', 'no') then 'surplus is not true or false'
        when s.data ? 'warranty_months' and s.data->>'warranty_months' !~ '^[0-9]{1,3}$' then 'warranty_months is not a number of months'
    end;
    update pg_temp.import_stage s set reason = 'sku ' || (s.data->>'sku') || ' exists already'
      from crm.product p where s.reason is null and p.tenant_id = crm.current_tenant() and p.sku = s.data->>'sku';
    update pg_temp.import_stage s set reason = 'duplicate of line ' || d.first_line
      from (select st.line, min(st.line) over (partition by st.data->>'sku') as first_line
              from pg_temp.import_stage st where st.reason is null) d
     where s.line = d.line and d.first_line < s.line;
    insert into crm.product (tenant_id, sku, name, description, product_group, list_price, unit_cost, active, surplus, warranty_months)
    select crm.current_tenant(), btrim(s.data->>'sku'), btrim(s.data->>'name'), s.data->>'description', s.data->>'product_group',
           (s.data->>'list_price')::numeric, (s.data->>'unit_cost')::numeric,
           coalesce(lower(s.data->>'active') in ('true', 't', '1', 'yes'), true),
           coalesce(lower(s.data->>'surplus') in ('true', 't', '1', 'yes'), false), (s.data->>'warranty_months')::int
      from pg_temp.import_stage s where s.reason is null order by s.line;
    return query select s.line, s.reason from pg_temp.import_stage s where s.reason is not null;
end $$;

-- One row per order line; rows with the same order_ref form one order (its customer, date and
-- status come from its first good row). The customer is found by email or phone; a line's price
-- and cost default to the product's. Re-importing an order_ref already imported is refused.
create or replace function crm.import_orders() returns table (line int, reason text) language plpgsql as $$
declare
    cc text := coalesce((select t.settings->>'default_country_code' from crm.tenant t where t.id = crm.current_tenant()), '49');
    o record;
    v_order bigint;
begin
    update pg_temp.import_stage s set data = s.data || jsonb_build_object(
        'customer', (select c.id from crm.customer c where c.tenant_id = crm.current_tenant() and c.merged_into is null
                       and (c.emails @> array[lower(btrim(s.data->>'customer_email'))]
                            or c.phones @> array[crm.normalize_phone(s.data->>'customer_phone', cc)]) order by c.created_at, c.id limit 1),
        'product', (select p.id from crm.product p where p.tenant_id = crm.current_tenant() and p.sku = s.data->>'sku'));
    update pg_temp.import_stage s set reason = case
        when coalesce(s.data->>'order_ref', '') = '' then 'order_ref is required'
        when s.data->>'customer' is null then 'no customer with this customer_email or customer_phone'
        when s.data->>'product' is null then 'no product with sku ' || coalesce(s.data->>'sku', '(empty)')
        when coalesce(s.data->>'quantity', '') !~ '^[0-9]{1,9}(\.[0-9]{1,3})?$' or (s.data->>'quantity')::numeric = 0 then 'quantity is not a positive number'
        when s.data ? 'unit_price' and s.data->>'unit_price' !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'unit_price is not an amount'
        when s.data ? 'unit_cost' and s.data->>'unit_cost' !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'unit_cost is not an amount'
        when coalesce(s.data->>'status', 'delivered') not in ('quoted', 'confirmed', 'shipped', 'delivered', 'cancelled', 'returned')
            then 'status is not an order status'
        when s.data->>'ordered_at' !~ '^\d{4}-\d{2}-\d{2}' then 'ordered_at is not a date'
    end;
    -- A date that looks right but is not (2026-02-30) is reported, not a failed import.
    update pg_temp.import_stage s set reason = 'ordered_at is not a date'
     where s.reason is null and not crm.is_timestamp(s.data->>'ordered_at');
    update pg_temp.import_stage s set reason = 'order ' || (s.data->>'order_ref') || ' was imported before'
      from crm.sales_order x where s.reason is null and x.tenant_id = crm.current_tenant()
       and x.idempotency_key = 'import:' || (s.data->>'order_ref');
    for o in select s.data->>'order_ref' as ref, min(s.line) as first_line from pg_temp.import_stage s
              where s.reason is null group by 1 order by 2 loop
        insert into crm.sales_order (tenant_id, customer_id, status, ordered_at, idempotency_key)
        select crm.current_tenant(), (f.data->>'customer')::bigint, 'quoted', (f.data->>'ordered_at')::timestamptz, 'import:' || o.ref
          from pg_temp.import_stage f where f.line = o.first_line
        returning id into v_order;
        insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
        select crm.current_tenant(), v_order, row_number() over (order by s.line), p.id, (s.data->>'quantity')::numeric,
               coalesce((s.data->>'unit_price')::numeric, p.list_price), coalesce((s.data->>'unit_cost')::numeric, p.unit_cost)
          from pg_temp.import_stage s join crm.product p on p.tenant_id = crm.current_tenant() and p.id = (s.data->>'product')::bigint
         where s.reason is null and s.data->>'order_ref' = o.ref;
        update crm.sales_order set status = coalesce((select f.data->>'status' from pg_temp.import_stage f where f.line = o.first_line), 'delivered')
         where tenant_id = crm.current_tenant() and id = v_order and coalesce((select f.data->>'status' from pg_temp.import_stage f where f.line = o.first_line), 'delivered') <> 'quoted';
    end loop;
    return query select s.line, s.reason from pg_temp.import_stage s where s.reason is not null;
end $$;

grant execute on function crm.import_products(), crm.import_orders(), crm.is_timestamp(text) to crm_unit;
