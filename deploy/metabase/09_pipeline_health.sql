-- Is the pipeline healthy? Each model's last run, its table's version and failing data tests.
SELECT m.name, m.zone, m.materialized, m.status, m.rows, m.duration_ms, m.last_run, m.version,
       count(t.test) AS failing_tests
FROM aloe.models m
LEFT JOIN aloe.test_results t
       ON t.model = m.zone || '.' || m.name AND t.status <> 'pass'
GROUP BY m.name, m.zone, m.materialized, m.status, m.rows, m.duration_ms, m.last_run, m.version
ORDER BY m.zone, m.name;
