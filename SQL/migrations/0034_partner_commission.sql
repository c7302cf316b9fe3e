-- A partner's commission: a rate per grant, so the partner's scorecard can show what it earned
-- (revenue credited times the rate) without any cost or margin. The units' scorecard is rebuilt
-- on top of the partners' one (SQL/repeatable/61): its columns change, so it is dropped here.
set local role crm_owner;

alter table crm.partner_grant
    add column commission_pct numeric(5, 2) not null default 0 check (commission_pct between 0 and 100);
comment on column crm.partner_grant.commission_pct is
    'Commission the unit pays the partner, in percent of the revenue credited to it.';

drop view if exists report.partner_scorecard;
