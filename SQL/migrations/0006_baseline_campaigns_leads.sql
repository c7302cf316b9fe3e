-- Baseline: campaigns, from plan to return on investment: the campaign with its products, team,
-- goal and budget; designs and the budget approved by the roles the unit names; a cost ledger;
-- leads from bought lists, assigned, qualified and converted. Orders and contacts point at
-- campaigns through their campaign_id. The functions of this area live in
-- SQL/repeatable/50_campaigns_api.sql and 51_leads_api.sql.
set local role crm_owner;

create sequence crm.campaign_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.campaign (
    tenant_id        uuid          not null references crm.tenant (id),
    id               bigint        not null default crm.opaque_id(nextval('crm.campaign_id_seq')),
    name             text          not null check (length(name) between 1 and 200),
    description      text,
    goal_metric      text          check (goal_metric in ('revenue', 'gross_margin', 'orders', 'units', 'leads', 'conversions')),
    goal_target      numeric(16,2),
    budget           numeric(14,2) not null default 0 check (budget >= 0),
    owner_id         bigint,
    channels         text[]        not null default '{}',
    starts_on        date,
    ends_on          date,
    status           text          not null default 'draft'
        check (status in ('draft', 'pending_approval', 'approved', 'active', 'closed')),
    budget_approved  boolean       not null default false,
    version          int           not null default 1,
    created_at       timestamptz   not null default now(),
    updated_at       timestamptz   not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, owner_id) references crm.staff (tenant_id, id),
    check (ends_on is null or starts_on is null or ends_on >= starts_on)
);
alter sequence crm.campaign_id_seq owned by crm.campaign.id;

create table crm.campaign_product (
    tenant_id   uuid   not null,
    campaign_id bigint not null,
    product_id  bigint not null,
    primary key (tenant_id, campaign_id, product_id),
    foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);

create table crm.campaign_member (
    tenant_id   uuid   not null,
    campaign_id bigint not null,
    staff_id    bigint not null,
    role        text   not null check (length(role) between 1 and 60),
    primary key (tenant_id, campaign_id, staff_id),
    foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id)
);

-- Designs and other material: each upload is a new version; an asset is approved once every role
-- the unit names (settings.campaign_approvals.design, default ["manager"]) has approved it.
create sequence crm.campaign_asset_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.campaign_asset (
    tenant_id    uuid        not null,
    id           bigint      not null default crm.opaque_id(nextval('crm.campaign_asset_id_seq')),
    campaign_id  bigint      not null,
    name         text        not null check (length(name) between 1 and 200),
    version      int         not null default 1,
    file_ref     text        not null check (length(file_ref) between 1 and 1000),
    status       text        not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
    uploaded_by  uuid,
    uploaded_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id),
    unique (tenant_id, campaign_id, name, version)
);
alter sequence crm.campaign_asset_id_seq owned by crm.campaign_asset.id;

-- Every decision: on an asset, or on the budget (asset_id null). Approvals by role; a budget
-- change voids the budget's earlier approvals (their row stays, marked void).
create sequence crm.campaign_approval_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.campaign_approval (
    tenant_id    uuid        not null,
    id           bigint      not null default crm.opaque_id(nextval('crm.campaign_approval_id_seq')),
    campaign_id  bigint      not null,
    asset_id     bigint,
    subject      text        not null check (subject in ('design', 'budget')),
    decision     text        not null check (decision in ('approved', 'rejected')),
    app_role     text        not null,
    comment      text,
    budget       numeric(14,2),
    void         boolean     not null default false,
    by_principal uuid,
    decided_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id),
    foreign key (tenant_id, asset_id) references crm.campaign_asset (tenant_id, id)
);
alter sequence crm.campaign_approval_id_seq owned by crm.campaign_approval.id;

create sequence crm.campaign_cost_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.campaign_cost (
    tenant_id    uuid          not null,
    id           bigint        not null default crm.opaque_id(nextval('crm.campaign_cost_id_seq')),
    campaign_id  bigint        not null,
    channel      text,
    category     text          not null check (category in ('list_purchase', 'printing', 'postage', 'ads', 'staff', 'design', 'other')),
    amount       numeric(14,2) not null check (amount >= 0),
    incurred_on  date          not null default current_date,
    note         text,
    idempotency_key text,
    recorded_at  timestamptz   not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id),
    unique (tenant_id, idempotency_key)
);
alter sequence crm.campaign_cost_id_seq owned by crm.campaign_cost.id;

create sequence crm.lead_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.lead (
    tenant_id           uuid        not null,
    id                  bigint      not null default crm.opaque_id(nextval('crm.lead_id_seq')),
    campaign_id         bigint,
    name                text        not null check (length(name) between 1 and 200),
    email               text,
    phone               text,
    company             text,
    region              text,
    status              text        not null default 'new'
        check (status in ('new', 'assigned', 'contacted', 'qualified', 'disqualified', 'converted')),
    score               int         check (score between 0 and 100),
    customer_id         bigint,
    assigned_staff_id   bigint,
    assigned_partner_id uuid        references crm.partner (id),
    assigned_at         timestamptz,
    source              text,
    version             int         not null default 1,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, assigned_staff_id) references crm.staff (tenant_id, id)
);
alter sequence crm.lead_id_seq owned by crm.lead.id;

create index lead_campaign on crm.lead (tenant_id, campaign_id, status);
create index lead_email on crm.lead (tenant_id, email) where email is not null;
create index lead_phone on crm.lead (tenant_id, phone) where phone is not null;
create index lead_staff on crm.lead (tenant_id, assigned_staff_id) where assigned_staff_id is not null;
create index lead_partner on crm.lead (tenant_id, assigned_partner_id) where assigned_partner_id is not null;
create index campaign_asset_campaign on crm.campaign_asset (tenant_id, campaign_id);
create index campaign_approval_campaign on crm.campaign_approval (tenant_id, campaign_id);
create index campaign_cost_campaign on crm.campaign_cost (tenant_id, campaign_id);

-- Orders and contacts carry campaign_id, orders the lead they came from. (The campaign keys are
-- NOT VALID as they were added to tables that had rows; every row written since is checked.)
alter table crm.sales_order add foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id) not valid;
alter table crm.interaction add foreign key (tenant_id, campaign_id) references crm.campaign (tenant_id, id) not valid;
alter table crm.sales_order add foreign key (tenant_id, lead_id) references crm.lead (tenant_id, id);

grant select, insert, update (name, description, goal_metric, goal_target, budget, owner_id, channels, starts_on, ends_on,
                              status, budget_approved, version, updated_at) on crm.campaign to crm_unit;
grant select, insert, delete on crm.campaign_product, crm.campaign_member to crm_unit;
grant select, insert, update (status) on crm.campaign_asset to crm_unit;
grant select, insert, update (void) on crm.campaign_approval to crm_unit;
grant select, insert on crm.campaign_cost to crm_unit;
grant select, insert, update (status, score, customer_id, assigned_staff_id, assigned_partner_id, assigned_at, version, updated_at,
                              region, company) on crm.lead to crm_unit;
grant usage on sequence crm.campaign_id_seq, crm.campaign_asset_id_seq, crm.campaign_approval_id_seq,
    crm.campaign_cost_id_seq, crm.lead_id_seq to crm_unit;
grant select on crm.campaign, crm.campaign_product, crm.campaign_member, crm.campaign_asset, crm.campaign_approval,
    crm.campaign_cost, crm.lead to crm_reporter;

select crm.add_unit_policies('crm.campaign', 'campaigns', true);
select crm.add_unit_policies('crm.campaign_product', 'campaign products');
select crm.add_unit_policies('crm.campaign_member', 'campaign members');
select crm.add_unit_policies('crm.campaign_asset', 'campaign assets', true);
select crm.add_unit_policies('crm.campaign_approval', 'campaign approvals', true);
select crm.add_unit_policies('crm.campaign_cost', 'campaign costs');
select crm.add_unit_policies('crm.lead', 'leads', true);

comment on table crm.campaign is 'Marketing campaigns: products, goal, budget, owner, team, channels, dates and status (draft, pending_approval, approved, active, closed).';
comment on table crm.campaign_asset is 'Designs and other material of a campaign, one row per uploaded version, with a reference to its file.';
comment on table crm.campaign_approval is 'Every approval or rejection of a campaign asset or budget, by application role, with its comment.';
comment on table crm.campaign_cost is 'The cost ledger of campaigns, per channel and category.';
comment on table crm.lead is 'Leads: prospects from campaign lists and other sources, assigned, qualified and converted into customers.';
