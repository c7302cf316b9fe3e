-- `crm export KIND --tenant SLUG`: what a unit takes with it (leaving, feeding a warehouse,
-- answering a subject-access request). Security invoker: the rows are exactly what the caller's
-- role may read (a unit's own rows and the customers shared with it). `crm export` streams them
-- through COPY ... TO STDOUT; a DBA can call them in psql after SET ROLE and SET crm.tenant.
-- p_since: only rows made (customers), ordered (orders) or that happened (interactions) since then.
set local role crm_owner;

create or replace function crm.export_customers(p_since timestamptz default null)
    returns table (tenant text, id bigint, name text, emails text[], phones text[], address jsonb, company text,
                   branch text, segment text, consent jsonb, preferences jsonb, lifecycle_stage text,
                   merged_into bigint, created_at timestamptz, updated_at timestamptz)
    language sql stable as $$
    select t.slug, c.id, c.name, c.emails, c.phones, c.address, c.company, c.branch, c.segment, c.consent,
           c.preferences, c.lifecycle_stage, c.merged_into, c.created_at, c.updated_at
      from crm.customer c join crm.tenant t on t.id = c.tenant_id
     where p_since is null or c.created_at >= p_since
$$;

create or replace function crm.export_orders(p_since timestamptz default null)
    returns table (tenant text, order_id bigint, ordered_at timestamptz, status text, customer_id bigint, staff_id bigint,
                   campaign_id bigint, partner_id uuid, line_no int, product_id bigint, sku text, quantity numeric,
                   unit_price numeric, unit_cost numeric)
    language sql stable as $$
    select t.slug, o.id, o.ordered_at, o.status, o.customer_id, o.staff_id, o.campaign_id, o.partner_id,
           l.line_no, l.product_id, p.sku, l.quantity, l.unit_price, l.unit_cost
      from crm.sales_order o
      join crm.tenant t on t.id = o.tenant_id
      join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
      left join crm.product p on p.tenant_id = l.tenant_id and p.id = l.product_id
     where p_since is null or o.ordered_at >= p_since
$$;

create or replace function crm.export_interactions(p_since timestamptz default null)
    returns table (tenant text, id bigint, customer_id bigint, channel text, direction text, staff_id bigint,
                   outcome text, summary text, cost numeric, occurred_at timestamptz, campaign_id bigint)
    language sql stable as $$
    select t.slug, i.id, i.customer_id, i.channel, i.direction, i.staff_id, i.outcome, i.summary, i.cost,
           i.occurred_at, i.campaign_id
      from crm.interaction i join crm.tenant t on t.id = i.tenant_id
     where p_since is null or i.occurred_at >= p_since
$$;

comment on function crm.export_customers(timestamptz) is 'A unit''s customers (and those shared with it) as crm export writes them; since: made since then.';
comment on function crm.export_orders(timestamptz) is 'A unit''s orders, one row per line, as crm export writes them; since: ordered since then.';
comment on function crm.export_interactions(timestamptz) is 'A unit''s contacts with customers as crm export writes them; since: happened since then.';

grant execute on function crm.export_customers(timestamptz), crm.export_orders(timestamptz), crm.export_interactions(timestamptz)
    to crm_unit, crm_viewer, crm_reporter;
