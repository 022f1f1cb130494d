-- Why a text or call stands where it does was stored as an English sentence; it is now stored as facts (JSON,
-- `SendNote`) and said in each reader's language. The fixed sentences become their facts, the provider's receipts
-- their status and code; anything else (the provider's or the network's own words) is kept as it was written.
UPDATE outbox
SET detail = CASE detail
    WHEN 'The request is gone.' THEN '{"why":"request_gone"}'
    WHEN 'No longer waiting: not sent.' THEN '{"why":"no_longer_waiting"}'
    WHEN 'They passed on it: not sent.' THEN '{"why":"passed_on"}'
    WHEN 'The account is disabled: not sent.' THEN '{"why":"account_disabled"}'
    WHEN 'Off duty by then: not sent.' THEN '{"why":"off_duty"}'
    WHEN 'The customer replied STOP: not sent.' THEN '{"why":"opted_out"}'
    WHEN 'Not a mobile number: not sent.' THEN '{"why":"not_mobile"}'
    WHEN 'Overtaken by events: not sent.' THEN '{"why":"overtaken"}'
    WHEN 'Not sent yet: the server was busy.' THEN '{"why":"server_busy"}'
    WHEN 'The server stopped while sending it: it may not have gone out, and was not sent again.'
        THEN '{"why":"stopped_while_sending"}'
    ELSE CASE
        -- "The provider reported undelivered (error 30003)."
        WHEN detail LIKE 'The provider reported % (error %).' THEN json_object(
            'why', 'reported',
            'status', substr(detail, 23, instr(detail, ' (error ') - 23),
            'code', substr(detail, instr(detail, ' (error ') + 8, length(detail) - instr(detail, ' (error ') - 9)
        )
        -- "The provider reported busy."
        WHEN detail LIKE 'The provider reported %.' THEN
            json_object('why', 'reported', 'status', substr(detail, 23, length(detail) - 23))
        ELSE json_object('why', 'verbatim', 'text', detail)
    END
END
WHERE detail IS NOT NULL;
