DROP TABLE occupation_relations;
