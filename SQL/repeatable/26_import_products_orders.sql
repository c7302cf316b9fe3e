-- `crm import products FILE` and `crm import orders FILE`: check the rows staged in
-- pg_temp.import_stage (line, one text column per column of the kind, reason, linked), insert the
-- good ones, return the rejects. Set-based: a handful of statements whatever the file's size.
set local role crm_owner;

-- True when the text casts to timestamptz (PostgreSQL 15 has no pg_input_is_valid).
create or replace function crm.is_timestamp(p text) returns boolean language plpgsql immutable as $$
begin
    perform p::timestamptz;
    return true;
exception when others then
    return false;
end $$;

-- An import's ordered_at as a timestamp, or null when it is none. The usual spellings
-- (2026-03-05, 2026-03-05 10:00[:00[.123]], with T, Z or an offset) are checked field by field
-- with no subtransaction; anything else that starts with a date is tried by a cast that may fail
-- (an exception block costs a subtransaction, so only those rows pay for it).
create or replace function crm.import_timestamp(p text) returns timestamptz language plpgsql stable as $$
declare
    a text[] := regexp_match(p, '^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$');
    y int;
    m int;
    last_day int;
begin
    if a is not null then
        y := a[1]::int;
        m := a[2]::int;
        last_day := case when m = 2 then 28 + (y % 4 = 0 and (y % 100 <> 0 or y % 400 = 0))::int
                         when m in (4, 6, 9, 11) then 30 else 31 end;
        if y >= 1 and m between 1 and 12 and a[3]::int between 1 and last_day
           and coalesce(a[4]::int, 0) <= 23 and coalesce(a[5]::int, 0) <= 59 and coalesce(a[6]::int, 0) <= 59
           and coalesce(a[7]::int, 0) <= 15 and coalesce(a[8]::int, 0) <= 59 then
            return p::timestamptz;
        end if;
    end if;
    if p !~ '^\d{4}-\d{2}-\d{2}' then
        return null;
    end if;
    begin
        return p::timestamptz;
    exception when others then
        return null;
    end;
end $$;

create or replace function crm.import_products() returns table (line int, reason text) language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
begin
    update pg_temp.import_stage s set reason = case
        when coalesce(btrim(s.sku), '') = '' then 'sku is required'
        when coalesce(btrim(s.name), '') = '' then 'name is required'
        when coalesce(s.list_price, '') !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'list_price is not an amount'
        when coalesce(s.unit_cost, '') !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'unit_cost is not an amount'
        when s.active is not null and lower(s.active) not in ('true', 'false', 't', 'f', '1', '0', 'yes', 'no') then 'active is not true or false'
        when s.surplus is not null and lower(s.surplus) not in ('true', 'false', 't', 'f', '1', '0', 'yes', 'no') then 'surplus is not true or false'
        when s.warranty_months is not null and s.warranty_months !~ '^[0-9]{1,3}$' then 'warranty_months is not a number of months'
        -- An existing SKU of the unit (the unique index on (tenant_id, sku), one probe per row).
        when exists (select 1 from crm.product p where p.tenant_id = v_tenant and p.sku = s.sku) then 'sku ' || s.sku || ' exists already'
    end;
    update pg_temp.import_stage s set reason = 'duplicate of line ' || d.first_line
      from (select st.line, min(st.line) over (partition by st.sku) as first_line
              from pg_temp.import_stage st where st.reason is null) d
     where s.line = d.line and d.first_line < s.line;
    insert into crm.product (tenant_id, sku, name, description, product_group, list_price, unit_cost, active, surplus, warranty_months)
    select v_tenant, btrim(s.sku), btrim(s.name), s.description, s.product_group,
           s.list_price::numeric, s.unit_cost::numeric,
           coalesce(lower(s.active) in ('true', 't', '1', 'yes'), true),
           coalesce(lower(s.surplus) in ('true', 't', '1', 'yes'), false), s.warranty_months::int
      from pg_temp.import_stage s where s.reason is null order by s.line;
    return query select s.line, s.reason from pg_temp.import_stage s where s.reason is not null;
end $$;

-- One row per order line; rows with the same order_ref form one order (its customer, date and
-- status come from its first good row). The customer is found by email or phone (the earliest
-- created customer holding either); a line's price and cost default to the product's.
-- Re-importing an order_ref already imported is refused (the order's idempotency_key is
-- 'import:' || order_ref).
-- Set-based, sized by the file: customers are resolved once per distinct (email, phone) through
-- the contact index, products by the unit's SKUs, earlier imports once per order_ref by the
-- unique (tenant_id, idempotency_key) index; then one statement inserts every order (with its
-- final status) and every line. The rollups follow from the statement trigger on order lines
-- (0036): one grouped pass over the import's lines, the same figures as orders made one by one
-- through crm.create_order. The tier snapshot is left to the scheduled job, as for create_order.
create or replace function crm.import_orders() returns table (line int, reason text) language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    cc text := coalesce((select t.settings->>'default_country_code' from crm.tenant t where t.id = v_tenant), '49');
begin
    drop table if exists pg_temp.import_order_rows;
    create temp table import_order_rows on commit drop as
    with r as (
        select s.line, s.order_ref, s.sku, s.quantity, s.unit_price, s.unit_cost, s.status, s.ordered_at,
               coalesce(lower(btrim(s.customer_email)), '') as email_n,
               coalesce(crm.normalize_phone(s.customer_phone, cc), '') as phone_n
          from pg_temp.import_stage s),
    -- Candidates by the contact index: each staged key is looked up by value (the contact
    -- index's primary key starts with it, 0039); the unit is compared with "is not distinct from", which no index
    -- serves, so that the planner cannot prefer an index that starts with tenant_id: for a unit
    -- new to the statistics it estimates one row and scanned the whole unit for every key.
    -- Contact rows exist only for customers not merged away (the contact triggers). When the
    -- email and the phone name different customers, the earliest created one wins.
    cand as (
        select p.email_n, p.phone_n,
               array(select k.customer_id from crm.customer_contact k
                      where k.tenant_id is not distinct from v_tenant and k.kind = 'email' and k.value = p.email_n
                     union
                     select k.customer_id from crm.customer_contact k
                      where k.tenant_id is not distinct from v_tenant and k.kind = 'phone' and k.value = p.phone_n) as ids
          from (select distinct r.email_n, r.phone_n from r) p),
    who as (
        select x.email_n, x.phone_n,
               case when cardinality(x.ids) < 2 then x.ids[1]
                    else (select c.id from crm.customer c where c.tenant_id = v_tenant and c.id = any (x.ids)
                           order by c.created_at, c.id limit 1) end as customer_id
          from cand x),
    refs as (
        select d.order_ref,
               exists (select 1 from crm.sales_order x where x.tenant_id = v_tenant and x.idempotency_key = 'import:' || d.order_ref) as before
          from (select distinct r.order_ref from r where r.order_ref is not null) d),
    dates as (
        select d.ordered_at, crm.import_timestamp(d.ordered_at) as at
          from (select distinct r.ordered_at from r where r.ordered_at is not null) d),
    products as (
        select p.id, p.sku, p.list_price, p.unit_cost from crm.product p
         where p.tenant_id = v_tenant and p.sku in (select distinct r.sku from r where r.sku is not null))
    select r.line, r.order_ref, w.customer_id, p.id as product_id, dt.at as ordered_at, coalesce(r.status, 'delivered') as status,
           case when r.quantity ~ '^[0-9]{1,9}(\.[0-9]{1,3})?$' then r.quantity::numeric end as quantity,
           case when r.unit_price ~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then r.unit_price::numeric else p.list_price end as unit_price,
           case when r.unit_cost ~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then r.unit_cost::numeric else p.unit_cost end as unit_cost,
           case
               when coalesce(r.order_ref, '') = '' then 'order_ref is required'
               when w.customer_id is null then 'no customer with this customer_email or customer_phone'
               when p.id is null then 'no product with sku ' || coalesce(r.sku, '(empty)')
               when coalesce(r.quantity, '') !~ '^[0-9]{1,9}(\.[0-9]{1,3})?$' or r.quantity::numeric = 0 then 'quantity is not a positive number'
               when r.unit_price is not null and r.unit_price !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'unit_price is not an amount'
               when r.unit_cost is not null and r.unit_cost !~ '^[0-9]{1,10}(\.[0-9]{1,2})?$' then 'unit_cost is not an amount'
               when coalesce(r.status, 'delivered') not in ('quoted', 'confirmed', 'shipped', 'delivered', 'cancelled', 'returned')
                   then 'status is not an order status'
               when r.ordered_at is null then 'ordered_at is required'
               when dt.at is null then 'ordered_at is not a date'
               when f.before then 'order ' || r.order_ref || ' was imported before'
           end as reason
      from r
      left join who w on w.email_n = r.email_n and w.phone_n = r.phone_n
      left join products p on p.sku = r.sku
      left join dates dt on dt.ordered_at = r.ordered_at
      left join refs f on f.order_ref = r.order_ref;

    update pg_temp.import_stage s set reason = r.reason
      from pg_temp.import_order_rows r where r.line = s.line and r.reason is not null;

    -- Every order and every line in one statement: the orders come back with their ids, the lines
    -- join them by order_ref. Lines are numbered in the file's order within their order.
    with heads as (
        select distinct on (r.order_ref) r.order_ref, r.customer_id, r.ordered_at, r.status
          from pg_temp.import_order_rows r where r.reason is null
         order by r.order_ref, r.line),
    orders as (
        insert into crm.sales_order (tenant_id, customer_id, status, ordered_at, idempotency_key)
        select v_tenant, h.customer_id, h.status, h.ordered_at, 'import:' || h.order_ref from heads h
        returning id, idempotency_key)
    insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
    select v_tenant, o.id, row_number() over (partition by r.order_ref order by r.line), r.product_id, r.quantity, r.unit_price, r.unit_cost
      from pg_temp.import_order_rows r join orders o on o.idempotency_key = 'import:' || r.order_ref
     where r.reason is null;

    return query select s.line, s.reason from pg_temp.import_stage s where s.reason is not null;
end $$;

grant execute on function crm.import_products(), crm.import_orders(), crm.is_timestamp(text), crm.import_timestamp(text) to crm_unit;
