-- The schema of the methods' statements (issue 16): each protocol method declared with
-- `function:` runs one SQL function of schema api, named for the method (orders.list ->
-- api.orders_list), with arguments named like the method's params. The functions live in
-- SQL/api/<area>.sql, re-applied on every migrate after SQL/repeatable; a DBA calls them in psql
-- under the same role and unit (README).
set local role crm_owner;

create schema api;
comment on schema api is 'One function per protocol method: what the method answers, under the caller''s role and unit.';
grant usage on schema api to crm_unit, crm_viewer, crm_partner, crm_admin, crm_reporter;
