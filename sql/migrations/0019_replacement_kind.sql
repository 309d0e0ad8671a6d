-- The replacement's kind (issue 15): what the applicant does instead of the abolished paper,
-- as one short code beside the free text. '' for retained items and for abolished items whose
-- text names methods of several kinds or none (the importer reports those).
--   cancelled     直接取消           commitment     告知承诺
--   verification  部门间核查         data_sharing   数据共享核验
--   licence_check 证照核验           other          其他
ALTER TABLE certificate_versions ADD COLUMN replacement_kind text NOT NULL DEFAULT ''
    CHECK (replacement_kind IN
        ('', 'cancelled', 'commitment', 'verification', 'data_sharing', 'licence_check', 'other'));

-- Rows already here: the kind the methods name, when they name exactly one (the importer's
-- rule, registry/catalogue/listformat.py replacement_kind_of).
UPDATE certificate_versions v SET replacement_kind = k.kind
FROM (
    SELECT v2.id, min(m.kind) AS kind
    FROM certificate_versions v2,
         unnest(v2.replacement_methods) AS method,
         LATERAL (SELECT CASE method
             WHEN '直接取消' THEN 'cancelled'
             WHEN '申请人书面承诺' THEN 'commitment'
             WHEN '告知承诺制' THEN 'commitment'
             WHEN '部门间核查' THEN 'verification'
             WHEN '数据共享' THEN 'data_sharing'
             WHEN '现有证照核验' THEN 'licence_check'
             WHEN '调整开具单位' THEN 'other'
         END AS kind) AS m
    WHERE v2.status = 'abolished' AND m.kind IS NOT NULL
    GROUP BY v2.id
    HAVING count(DISTINCT m.kind) = 1
) AS k
WHERE v.id = k.id;
