# Kafka Connect (distributed) with Apache Iceberg's sink and the Apicurio Avro converter: the same
# jars the native stack gets (stack/kafka-connect/pom.xml, from Maven Central). Build context: stack/.
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY kafka-connect/pom.xml /build/pom.xml
RUN mvn -q -B -f /build/pom.xml dependency:copy-dependencies -DoutputDirectory=/build/libs

FROM eclipse-temurin:17-jre
COPY --from=jars /build/libs /opt/connect/libs
COPY kafka-connect/log4j2.properties kafka-connect/worker.compose.properties /opt/connect/
USER 1000:1000
# The Iceberg sink reads the worker properties from this command line: the file comes right after the class.
CMD ["java", "-Xmx512m", "-XX:+UseSerialGC", "-Dlog4j2.configurationFile=/opt/connect/log4j2.properties", "-cp", "/opt/connect/libs/*", "org.apache.kafka.connect.cli.ConnectDistributed", "/opt/connect/worker.compose.properties"]
