-- Set-based rollups (issue 15). The sales rollups, the yearly rollup and the contact index were
-- kept by row triggers: an import of 70,000 order lines fired 70,000 triggers, each with three
-- upserts, and every upsert of the monthly rollup fired the yearly one again; 100,000 imported
-- customers fired 100,000 contact triggers. Now these are statement triggers over transition
-- tables: one statement's rows go into the rollups in one grouped pass, whoever writes them.
-- Nothing can switch them off (no flag a unit's role could set), and a single-row write (an
-- order through crm.create_order, customers.create) does the same work as before.
--   order_line:             after insert, per statement (crm.order_lines_rollup); the status
--                           trigger on sales_order stays a row trigger (crm.rollup_order).
--   customer_month_summary: after insert / update / delete, per statement
--                           (crm.customer_year_rollup_statement; one trigger per event, as
--                           transition tables require).
--   customer:               after insert, per statement (crm.customer_contact_insert); updates keep
--                           the row trigger crm.sync_customer_contact.
-- The functions and the triggers are defined in SQL/repeatable/23_rollup_triggers.sql (one
-- current text, re-applied on every migrate, right after the migrations); this file removes the
-- row triggers and functions they replace.
set local role crm_owner;

drop trigger order_line_rollup on crm.order_line;
drop trigger customer_year_rollup on crm.customer_month_summary;
drop function crm.order_line_rollup();
drop function crm.customer_year_rollup();
