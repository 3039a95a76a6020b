# Apache Iceberg's REST catalog fixture plus the PostgreSQL JDBC driver (from Maven Central),
# so the compose stack keeps its catalog in PostgreSQL.
FROM apache/iceberg-rest-fixture:1.11.0
USER root
ADD https://repo1.maven.org/maven2/org/postgresql/postgresql/42.7.8/postgresql-42.7.8.jar /usr/lib/iceberg-rest/postgresql.jar
RUN chmod 644 /usr/lib/iceberg-rest/postgresql.jar
USER iceberg:iceberg
CMD ["java", "-cp", "/usr/lib/iceberg-rest/*", "org.apache.iceberg.rest.RESTCatalogServer"]
