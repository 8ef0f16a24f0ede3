-- The introduction as the candidate needs to know it: time, place and whom to ask for.
ALTER TABLE matches ADD COLUMN introduction_time TEXT;
ALTER TABLE matches ADD COLUMN introduction_place TEXT;
ALTER TABLE matches ADD COLUMN introduction_contact TEXT;

-- The municipality's own face on its pages: name as residents know it, logo, colour, contact
-- details, and the privacy and accessibility statements Dutch municipal sites must publish.
CREATE TABLE municipality_profiles (
    municipality_id TEXT PRIMARY KEY REFERENCES municipalities (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    logo_url TEXT,
    colour TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_address TEXT NOT NULL,
    contact_hours TEXT NOT NULL,
    privacy_statement TEXT NOT NULL,
    accessibility_statement TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
