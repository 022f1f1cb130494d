-- Why the ladder climbed was stored as an English sentence; it is now stored as facts (the concern, each rung's
-- wait, who is late) and said in each reader's language. The sentences came from six templates, so each old one
-- is read back into its facts; one that matches none keeps only its level.

-- Who was late is a member of staff, named by id as an assignment is (the name is joined, and follows a rename):
-- the one who had the job then, by the last accept or assignment before the rung (names need not be unique).
UPDATE request_events
SET technician_id = (
    SELECT COALESCE(p.technician_id, p.staff_id)
    FROM request_events p
    WHERE p.request_id = request_events.request_id AND p.id < request_events.id AND p.kind IN ('accepted', 'assigned')
    ORDER BY p.id DESC
    LIMIT 1
)
WHERE kind = 'escalated'
    AND json_extract(payload, '$.note') LIKE '% past the ETA: % asked for news.'
    AND json_extract(payload, '$.note') NOT LIKE '% past the ETA: The technician asked for news.';

UPDATE request_events
SET payload = (
    SELECT json_patch(
        json_object('level', COALESCE(json_extract(request_events.payload, '$.level'), 1)),
        -- A null in a merge patch leaves the key out: what the sentence did not say stays unsaid.
        json_object(
            'concern', CASE
                WHEN note LIKE 'Nobody accepted within %' OR note LIKE 'Still nobody:%' THEN 'unowned'
                WHEN note LIKE '% past the ETA:%' OR note LIKE 'Still late:%' THEN 'late'
            END,
            'every_ms', CASE
                WHEN wait LIKE '% min' THEN CAST(wait AS INTEGER) * 60000
                WHEN wait LIKE '% s' THEN CAST(wait AS INTEGER) * 1000
            END
        )
    )
    FROM (
        SELECT
            note,
            CASE
                -- "Nobody accepted within 2 min: on-duty technicians alerted again." (or, older, "… 2 min.")
                WHEN note LIKE 'Nobody accepted within %' THEN
                    CASE WHEN instr(substr(note, 24), ':') > 0
                        THEN substr(note, 24, instr(substr(note, 24), ':') - 1)
                        ELSE rtrim(substr(note, 24), '.')
                    END
                -- "10 min past the ETA: Ana Lima asked for news."
                WHEN note LIKE '% past the ETA:%' THEN substr(note, 1, instr(note, ' past the ETA:') - 1)
            END AS wait
        FROM (SELECT COALESCE(json_extract(request_events.payload, '$.note'), '') AS note)
    )
)
WHERE kind = 'escalated';
