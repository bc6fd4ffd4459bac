-- Playbook experiments (icp.toml `[experiment]`): the arm a lead came
-- through, as JSON `{"id", "arm", "bucket", "browser_arm", "agrees"}`: the
-- experiment's id, the form id the edge served (also `form_id`), the
-- visitor's bucket (0-99, null without a visitor id), the arm the browser
-- computed (null when it sent none) and whether the two agree. NULL for a
-- lead of a form in no experiment.
ALTER TABLE leads ADD COLUMN experiment TEXT;
