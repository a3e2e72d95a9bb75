<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
<context>
    <name>Alerts</name>
    <message>
        <source>The scheduled backup “{schedule}” failed.</source>
        <translation>La copia programada «{schedule}» falló.</translation>
    </message>
    <message>
        <source>The scheduled backup “{schedule}” did not back up {clinics}.</source>
        <translation>La copia programada «{schedule}» no hizo la copia de {clinics}.</translation>
    </message>
    <message>
        <source>The newest backup of {clinics} is more than a day old: a scheduled backup did not run.</source>
        <translation>La copia más reciente de {clinics} tiene más de un día: una copia programada no se hizo.</translation>
    </message>
    <message>
        <source>Schedule backups…</source>
        <translation>Programar copias…</translation>
    </message>
</context>
<context>
    <name>BackupAll</name>
    <message>
        <source>C&amp;hoose…</source>
        <translation>&amp;Elegir…</translation>
    </message>
    <message>
        <source>Pick the folder</source>
        <translation>Elegir la carpeta</translation>
    </message>
    <message>
        <source>Back up all clinics</source>
        <translation>Copia de todas las clínicas</translation>
    </message>
    <message>
        <source>Each of the {count} clinics is backed up to its own file, in its own folder inside the folder chosen, named by clinic and time: no file is ever replaced. Two clinics are backed up at a time; one that fails is tried again, and never stops the others.</source>
        <translation>Cada una de las {count} clínicas se copia en su propio archivo, en su propia carpeta dentro de la carpeta elegida, con el nombre de la clínica y la hora: nunca se sustituye ningún archivo. Se copian dos clínicas a la vez; una que falla se vuelve a intentar y nunca detiene a las demás.</translation>
    </message>
    <message>
        <source>&amp;Into the folder:</source>
        <translation>E&amp;n la carpeta:</translation>
    </message>
    <message>
        <source>Folder for the backups of all clinics</source>
        <translation>Carpeta para las copias de todas las clínicas</translation>
    </message>
    <message>
        <source>&amp;Back up all</source>
        <translation>&amp;Copiar todas</translation>
    </message>
    <message>
        <source>{done} of {total} clinics backed up ({size}) in {time}.</source>
        <translation>{done} de {total} clínicas copiadas ({size}) en {time}.</translation>
    </message>
    <message>
        <source>{clinic} was not backed up (tried twice): {reason}.</source>
        <translation>{clinic} no se copió (se intentó dos veces): {reason}.</translation>
    </message>
    <message>
        <source>{clinic} was not backed up: {reason}.</source>
        <translation>{clinic} no se copió: {reason}.</translation>
    </message>
    <message>
        <source>{clinic} was skipped: another backup or restore of it was running.</source>
        <translation>{clinic} se omitió: había otra copia o restauración suya en curso.</translation>
    </message>
    <message>
        <source>Backing up {count} clinics of {server} into {folder}</source>
        <translation>Copiando {count} clínicas de {server} en {folder}</translation>
    </message>
    <message>
        <source>Clinics backed up before the stop: {count}, each file complete and kept. No half-written file is left.</source>
        <translation>Clínicas copiadas antes de detenerse: {count}, cada archivo completo y conservado. No queda ningún archivo a medio escribir.</translation>
    </message>
    <message>
        <source>Starting the backups</source>
        <translation>Empezando las copias de seguridad</translation>
    </message>
    <message>
        <source>Show folder</source>
        <translation>Mostrar la carpeta</translation>
    </message>
    <message>
        <source>Open the folder that holds the clinics&apos; folders</source>
        <translation>Abrir la carpeta que contiene las carpetas de las clínicas</translation>
    </message>
    <message>
        <source>the database server could not be reached, or the connection was lost</source>
        <translation>no se pudo llegar al servidor de bases de datos, o se perdió la conexión</translation>
    </message>
    <message>
        <source>another backup or restore of this clinic was running</source>
        <translation>había otra copia o restauración de esta clínica en marcha</translation>
    </message>
    <message>
        <source>this clinic cannot be backed up as it is (Details… says why)</source>
        <translation>esta clínica no se puede copiar tal como está (Detalles… dice por qué)</translation>
    </message>
    <message>
        <source>the file could not be written: the disk is full, or the folder cannot be written</source>
        <translation>no se pudo escribir el archivo: el disco está lleno, o no se puede escribir en la carpeta</translation>
    </message>
    <message>
        <source>it is not a clinic of this database</source>
        <translation>no es una clínica de esta base de datos</translation>
    </message>
    <message>
        <source>the backup failed on the server (Details… says why)</source>
        <translation>la copia falló en el servidor (Detalles… dice por qué)</translation>
    </message>
    <message>
        <source>Clinic</source>
        <translation>Clínica</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>The clinics and how each backup went</source>
        <translation>Las clínicas y cómo fue cada copia</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>En espera</translation>
    </message>
    <message>
        <source>{finished} of {total} clinics finished: {done} backed up, {failed} not.</source>
        <translation>{finished} de {total} clínicas terminadas: {done} copiadas, {failed} no.</translation>
    </message>
    <message>
        <source>Now: {clinics}.</source>
        <translation>Ahora: {clinics}.</translation>
    </message>
    <message>
        <source>Backing up…</source>
        <translation>Copiando…</translation>
    </message>
    <message>
        <source>Backing up again (second try)…</source>
        <translation>Copiando de nuevo (segundo intento)…</translation>
    </message>
    <message>
        <source>Done: {size} in {time}</source>
        <translation>Hecha: {size} en {time}</translation>
    </message>
    <message>
        <source>(at the second try)</source>
        <translation>(al segundo intento)</translation>
    </message>
    <message>
        <source>Skipped: another backup or restore of this clinic was running</source>
        <translation>Omitida: había otra copia o restauración de esta clínica en curso</translation>
    </message>
    <message>
        <source>Failed: {reason}</source>
        <translation>Falló: {reason}</translation>
    </message>
    <message>
        <source>Not backed up (the run stopped)</source>
        <translation>No copiada (la tarea se detuvo)</translation>
    </message>
</context>
<context>
    <name>BackupDialog</name>
    <message>
        <source>Back up {clinic}</source>
        <translation>Copia de seguridad de {clinic}</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Formato</translation>
    </message>
    <message>
        <source>File to write</source>
        <translation>Archivo que se escribirá</translation>
    </message>
    <message>
        <source>&amp;Save as:</source>
        <translation>&amp;Guardar como:</translation>
    </message>
    <message>
        <source>&amp;Choose…</source>
        <translation>&amp;Elegir…</translation>
    </message>
    <message>
        <source>Pick the folder and file name</source>
        <translation>Elegir la carpeta y el nombre del archivo</translation>
    </message>
    <message>
        <source>The file is written under a temporary name and appears only when it is complete.</source>
        <translation>El archivo se escribe con un nombre temporal y solo aparece cuando está completo.</translation>
    </message>
    <message>
        <source>&amp;Back up</source>
        <translation>&amp;Hacer la copia</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Todos los archivos (*)</translation>
    </message>
</context>
<context>
    <name>BackupFlow</name>
    <message>
        <source>{rows} rows in {tables} tables</source>
        <translation>{rows} filas en {tables} tablas</translation>
    </message>
    <message>
        <source>{tables} tables</source>
        <translation>{tables} tablas</translation>
    </message>
    <message>
        <source>Saved {file}: {size}, {rows}, {time}.</source>
        <translation>Guardado {file}: {size}, {rows}, {time}.</translation>
    </message>
    <message>
        <source>Automatic chose pg_dump&apos;s custom format: {tool} fits this server.</source>
        <translation>Automático eligió el formato personalizado de pg_dump: {tool} es adecuado para este servidor.</translation>
    </message>
    <message>
        <source>Back up {clinic}</source>
        <translation>Copia de seguridad de {clinic}</translation>
    </message>
    <message>
        <source>Automatic chose the Resguardo format because no pg_dump that fits this server could be used (the log file says why).</source>
        <translation>Automático eligió el formato de Resguardo porque no se pudo usar ningún pg_dump adecuado para este servidor (el archivo de registro dice por qué).</translation>
    </message>
    <message>
        <source>Backing up {clinic} of {server} to {file}</source>
        <translation>Copia de seguridad de {clinic} de {server} en {file}</translation>
    </message>
    <message>
        <source>No backup file was written.</source>
        <translation>No se escribió ningún archivo de copia.</translation>
    </message>
    <message>
        <source>Starting the backup</source>
        <translation>Empezando la copia de seguridad</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>Verificar</translation>
    </message>
    <message>
        <source>Read the file back and check every checksum</source>
        <translation>Volver a leer el archivo y comprobar todas las sumas de verificación</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>Mostrar en la carpeta</translation>
    </message>
    <message>
        <source>Open the folder that holds the file</source>
        <translation>Abrir la carpeta que contiene el archivo</translation>
    </message>
</context>
<context>
    <name>Backups</name>
    <message>
        <source>Verify {file}</source>
        <translation>Verificar {file}</translation>
    </message>
    <message>
        <source>Reading the file</source>
        <translation>Leyendo el archivo</translation>
    </message>
    <message>
        <source>The file was not changed.</source>
        <translation>El archivo no se modificó.</translation>
    </message>
    <message>
        <source>Test restore of {clinic} from {file}</source>
        <translation>Restauración de prueba de {clinic} desde {file}</translation>
    </message>
    <message>
        <source>The backup restores: {rows} rows in {tables} tables were loaded into a test copy and each table checked against the backup, in {time}. The test copy was removed; {clinic} was not touched.</source>
        <translation>La copia se restaura: se cargaron {rows} filas en {tables} tablas en una copia de prueba y se comprobó cada tabla con la copia de seguridad, en {time}. La copia de prueba se eliminó; {clinic} no se tocó.</translation>
    </message>
    <message>
        <source>{clinic} was not touched.</source>
        <translation>{clinic} no se tocó.</translation>
    </message>
    <message>
        <source>Starting the test restore</source>
        <translation>Iniciando la restauración de prueba</translation>
    </message>
    <message>
        <source>Resguardo format</source>
        <translation>Formato de Resguardo</translation>
    </message>
    <message>
        <source>pg_dump custom format</source>
        <translation>Formato personalizado de pg_dump</translation>
    </message>
    <message>
        <source>Plain SQL</source>
        <translation>SQL plano</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Desconocido</translation>
    </message>
    <message>
        <source>Test restore failed</source>
        <translation>Restauración de prueba fallida</translation>
    </message>
    <message>
        <source>Test restore passed</source>
        <translation>Restauración probada</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation>Verificada</translation>
    </message>
    <message>
        <source>Not verified</source>
        <translation>Sin verificar</translation>
    </message>
    <message>
        <source>Schedule “{schedule}”</source>
        <translation>Programación «{schedule}»</translation>
    </message>
    <message>
        <source>By hand</source>
        <translation>A mano</translation>
    </message>
    <message>
        <source>{date} (file&apos;s time)</source>
        <translation>{date} (hora del archivo)</translation>
    </message>
    <message>
        <source>Backups of {clinic}</source>
        <translation>Copias de seguridad de {clinic}</translation>
    </message>
    <message>
        <source>Every backup of {clinic} found in the folders this profile backs up into, newest first.</source>
        <translation>Todas las copias de seguridad de {clinic} que hay en las carpetas donde este perfil guarda sus copias, de la más reciente a la más antigua.</translation>
    </message>
    <message>
        <source>Backups of the clinic</source>
        <translation>Copias de seguridad de la clínica</translation>
    </message>
    <message>
        <source>Made</source>
        <translation>Hecha</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Formato</translation>
    </message>
    <message>
        <source>Checked</source>
        <translation>Comprobada</translation>
    </message>
    <message>
        <source>Encrypted</source>
        <translation>Cifrada</translation>
    </message>
    <message>
        <source>Made by</source>
        <translation>Hecha por</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>&amp;Add folder…</source>
        <translation>&amp;Añadir carpeta…</translation>
    </message>
    <message>
        <source>Look for backups in another folder too</source>
        <translation>Buscar copias también en otra carpeta</translation>
    </message>
    <message>
        <source>&amp;Restore…</source>
        <translation>&amp;Restaurar…</translation>
    </message>
    <message>
        <source>Replace the clinic&apos;s data with this backup (after a preview and your confirmation)</source>
        <translation>Reemplazar los datos de la clínica por esta copia (tras una vista previa y su confirmación)</translation>
    </message>
    <message>
        <source>&amp;Verify</source>
        <translation>&amp;Verificar</translation>
    </message>
    <message>
        <source>Read the whole file and check every checksum</source>
        <translation>Leer el archivo entero y comprobar cada suma de verificación</translation>
    </message>
    <message>
        <source>&amp;Test restore</source>
        <translation>Restauración de &amp;prueba</translation>
    </message>
    <message>
        <source>Load the backup into a test copy beside the clinic, check every table, then remove the copy; the clinic itself is not touched</source>
        <translation>Cargar la copia en una copia de prueba junto a la clínica, comprobar cada tabla y eliminar la copia de prueba; la clínica no se toca</translation>
    </message>
    <message>
        <source>Show in &amp;folder</source>
        <translation>Mostrar en la &amp;carpeta</translation>
    </message>
    <message>
        <source>Open the folder that holds this backup</source>
        <translation>Abrir la carpeta que contiene esta copia</translation>
    </message>
    <message>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <source>Looking for backups…</source>
        <translation>Buscando copias…</translation>
    </message>
    <message>
        <source>No backup of {clinic} was found in these folders.</source>
        <translation>No se encontró ninguna copia de {clinic} en estas carpetas.</translation>
    </message>
    <message>
        <source>An encrypted backup (and a pg_dump file) says when it was made only inside: it shows when its file was last written.</source>
        <translation>Una copia cifrada (y un archivo de pg_dump) solo dice por dentro cuándo se hizo: se muestra cuándo se escribió su archivo por última vez.</translation>
    </message>
    <message>
        <source>Could not look in: {folders}.</source>
        <translation>No se pudo buscar en: {folders}.</translation>
    </message>
    <message>
        <source>Looked in: {folders}</source>
        <translation>Buscado en: {folders}</translation>
    </message>
    <message>
        <source>Look for backups in</source>
        <translation>Buscar copias en</translation>
    </message>
    <message>
        <source>When the file was last written: an encrypted backup says when it was made only inside, readable with its key.</source>
        <translation>Cuándo se escribió el archivo por última vez: una copia cifrada solo dice por dentro cuándo se hizo, y solo se lee con su clave.</translation>
    </message>
    <message>
        <source>When the file was last written: a pg_dump file does not say when it was made.</source>
        <translation>Cuándo se escribió el archivo por última vez: un archivo de pg_dump no dice cuándo se hizo.</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Problem</source>
        <translation>Problema</translation>
    </message>
    <message>
        <source>Details…</source>
        <translation>Detalles…</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Cerrar aviso</translation>
    </message>
</context>
<context>
    <name>Clinics</name>
    <message>
        <source>Clinic</source>
        <translation>Clínica</translation>
    </message>
    <message>
        <source>The clinic&apos;s name</source>
        <translation>El nombre de la clínica</translation>
    </message>
    <message>
        <source>Web address</source>
        <translation>Dirección web</translation>
    </message>
    <message>
        <source>The clinic&apos;s main web address</source>
        <translation>La dirección web principal de la clínica</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>Disk space of the clinic&apos;s data</source>
        <translation>Espacio en disco de los datos de la clínica</translation>
    </message>
    <message>
        <source>Tables</source>
        <translation>Tablas</translation>
    </message>
    <message>
        <source>Number of tables</source>
        <translation>Número de tablas</translation>
    </message>
    <message>
        <source>Rows (approx.)</source>
        <translation>Filas (aprox.)</translation>
    </message>
    <message>
        <source>Approximate number of rows, from the server&apos;s statistics</source>
        <translation>Número aproximado de filas, según las estadísticas del servidor</translation>
    </message>
    <message>
        <source>Last backup</source>
        <translation>Última copia</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Deshacer</translation>
    </message>
    <message>
        <source>A restore kept the previous version: it can be undone</source>
        <translation>Una restauración guardó la versión anterior: se puede deshacer</translation>
    </message>
    <message>
        <source>What it is</source>
        <translation>Qué es</translation>
    </message>
    <message>
        <source>What Resguardo found</source>
        <translation>Lo que encontró Resguardo</translation>
    </message>
    <message>
        <source>Disk space of its data</source>
        <translation>Espacio en disco de sus datos</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>Desde</translation>
    </message>
    <message>
        <source>When it was made</source>
        <translation>Cuándo se creó</translation>
    </message>
    <message>
        <source>Previous version of {clinic}, kept for undo</source>
        <translation>Versión anterior de {clinic}, guardada para deshacer</translation>
    </message>
    <message>
        <source>Unfinished restore of {clinic} (removed by its next restore)</source>
        <translation>Restauración sin terminar de {clinic} (la próxima restauración la elimina)</translation>
    </message>
    <message>
        <source>Unfinished restore (removed by the next restore)</source>
        <translation>Restauración sin terminar (la próxima restauración la elimina)</translation>
    </message>
    <message>
        <source>Data without a clinic: {schema}</source>
        <translation>Datos sin clínica: {schema}</translation>
    </message>
    <message>
        <source>Data all clinics share: listed, never restored into</source>
        <translation>Datos que comparten todas las clínicas: se muestran, nunca se restauran</translation>
    </message>
    <message>
        <source>Clinic data (no clinics table found; named by its internal name)</source>
        <translation>Datos de una clínica (no hay tabla de clínicas; se nombra por su nombre interno)</translation>
    </message>
    <message>
        <source>Clinic with no data yet</source>
        <translation>Clínica todavía sin datos</translation>
    </message>
    <message>
        <source>none: overdue</source>
        <translation>ninguna: atrasada</translation>
    </message>
    <message>
        <source>{date}: too old</source>
        <translation>{date}: demasiado antigua</translation>
    </message>
    <message>
        <source>The schedule “{schedule}” backs this clinic up every day, but no backup of it was found in the folders this profile backs up into.</source>
        <translation>La programación «{schedule}» hace una copia de esta clínica cada día, pero no se encontró ninguna en las carpetas donde este perfil guarda sus copias.</translation>
    </message>
    <message>
        <source>The schedule “{schedule}” backs this clinic up every day, but its newest backup is from {date}: more than a day and 3 hours ago. A scheduled backup did not run, or failed.</source>
        <translation>La programación «{schedule}» hace una copia de esta clínica cada día, pero la más reciente es del {date}: hace más de un día y 3 horas. Una copia programada no se hizo, o falló.</translation>
    </message>
    <message>
        <source>{clinic} (job running)</source>
        <translation>{clinic} (tarea en curso)</translation>
    </message>
    <message>
        <source>Possible (kept {date})</source>
        <translation>Posible (guardada el {date})</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nunca</translation>
    </message>
    <message>
        <source>The newest backup found in the folders this profile backs up into</source>
        <translation>La copia más reciente que hay en las carpetas donde este perfil guarda sus copias</translation>
    </message>
    <message>
        <source>Internal name (schema): {schema}</source>
        <translation>Nombre interno (esquema): {schema}</translation>
    </message>
    <message>
        <source>Other web addresses: {domains}</source>
        <translation>Otras direcciones web: {domains}</translation>
    </message>
    <message>
        <source>Previous version kept for undo: {schema}</source>
        <translation>Versión anterior guardada para deshacer: {schema}</translation>
    </message>
    <message>
        <source>Last backup: {file}</source>
        <translation>Última copia: {file}</translation>
    </message>
</context>
<context>
    <name>Connection</name>
    <message>
        <source>Connected to PostgreSQL {version} as {user} (a superuser), database {database}.</source>
        <translation>Conectado a PostgreSQL {version} como {user} (superusuario), base de datos {database}.</translation>
    </message>
    <message>
        <source>Connected to PostgreSQL {version} as {user} (not a superuser), database {database}.</source>
        <translation>Conectado a PostgreSQL {version} como {user} (no es superusuario), base de datos {database}.</translation>
    </message>
    <message>
        <source>Wrong user name or password for {where}.</source>
        <translation>Usuario o contraseña incorrectos para {where}.</translation>
    </message>
    <message>
        <source>The server at {where} asks for a password.</source>
        <translation>El servidor de {where} pide una contraseña.</translation>
    </message>
    <message>
        <source>The server at {where} cannot be reached: is it running, and are the host and port right?</source>
        <translation>No se puede llegar al servidor de {where}: ¿está en marcha, y son correctos el servidor y el puerto?</translation>
    </message>
    <message>
        <source>The database {database} does not exist on the server ({where}).</source>
        <translation>La base de datos {database} no existe en el servidor ({where}).</translation>
    </message>
    <message>
        <source>The server at {where} and this connection disagree on SSL (encryption): check the SSL mode and the root certificate.</source>
        <translation>El servidor de {where} y esta conexión no coinciden en SSL (cifrado): revise el modo SSL y el certificado raíz.</translation>
    </message>
    <message>
        <source>The server at {where} did not answer in time.</source>
        <translation>El servidor de {where} no respondió a tiempo.</translation>
    </message>
    <message>
        <source>Could not connect to {where}.</source>
        <translation>No se pudo conectar con {where}.</translation>
    </message>
</context>
<context>
    <name>ConnectionFlow</name>
    <message>
        <source>Connecting to {name}…</source>
        <translation>Conectando con {name}…</translation>
    </message>
    <message>
        <source>Opening the last connection profile used…</source>
        <translation>Abriendo el último perfil de conexión usado…</translation>
    </message>
    <message>
        <source>Connecting to {server}…</source>
        <translation>Conectando con {server}…</translation>
    </message>
</context>
<context>
    <name>Dialogs</name>
    <message>
        <source>Backups ({patterns});;Django exports ({exports});;All files (*)</source>
        <translation>Copias de seguridad ({patterns});;Exportaciones de Django ({exports});;Todos los archivos (*)</translation>
    </message>
</context>
<context>
    <name>Encryption</name>
    <message>
        <source>Waiting for the key</source>
        <translation>Esperando la clave</translation>
    </message>
    <message>
        <source>{file} is encrypted: asking for its key.</source>
        <translation>{file} está cifrado: se pide su clave.</translation>
    </message>
    <message>
        <source>No key was given for {file}.</source>
        <translation>No se dio ninguna clave para {file}.</translation>
    </message>
    <message>
        <source>The passphrase does not open the key file {key}. Type it again.</source>
        <translation>La frase de contraseña no abre el archivo de clave {key}. Escríbala de nuevo.</translation>
    </message>
    <message>
        <source>The key file {key} does not open {file}: the backup was encrypted to another key.</source>
        <translation>El archivo de clave {key} no abre {file}: la copia se cifró para otra clave.</translation>
    </message>
    <message>
        <source>There is no key file {key}.</source>
        <translation>No existe el archivo de clave {key}.</translation>
    </message>
    <message>
        <source>The file {key} cannot be used as a key: it is not a key file, or it is damaged or of a kind Resguardo does not read.</source>
        <translation>El archivo {key} no sirve como clave: no es un archivo de clave, o está dañado o es de un tipo que Resguardo no lee.</translation>
    </message>
</context>
<context>
    <name>Engine</name>
    <message>
        <source>Connecting</source>
        <translation>Conectando</translation>
    </message>
    <message>
        <source>Copying rows</source>
        <translation>Copiando filas</translation>
    </message>
    <message>
        <source>Reading the table definitions</source>
        <translation>Leyendo la definición de las tablas</translation>
    </message>
    <message>
        <source>Writing the list of contents and checksums</source>
        <translation>Escribiendo el índice de contenido y las sumas de verificación</translation>
    </message>
    <message>
        <source>Backup complete</source>
        <translation>Copia de seguridad completa</translation>
    </message>
    <message>
        <source>Encrypting the backup</source>
        <translation>Cifrando la copia de seguridad</translation>
    </message>
    <message>
        <source>Starting pg_dump</source>
        <translation>Iniciando pg_dump</translation>
    </message>
    <message>
        <source>Copying tables with pg_dump</source>
        <translation>Copiando tablas con pg_dump</translation>
    </message>
    <message>
        <source>Checking the table definitions</source>
        <translation>Comprobando la definición de las tablas</translation>
    </message>
    <message>
        <source>Every checksum matches</source>
        <translation>Todas las sumas de verificación coinciden</translation>
    </message>
    <message>
        <source>Checking the previous version</source>
        <translation>Comprobando la versión anterior</translation>
    </message>
    <message>
        <source>Putting the previous version back</source>
        <translation>Reponiendo la versión anterior</translation>
    </message>
    <message>
        <source>Checking the rows</source>
        <translation>Comprobando las filas</translation>
    </message>
    <message>
        <source>Decrypting the backup</source>
        <translation>Descifrando la copia de seguridad</translation>
    </message>
    <message>
        <source>Decrypted</source>
        <translation>Descifrada</translation>
    </message>
    <message>
        <source>Read in full</source>
        <translation>Leído por completo</translation>
    </message>
    <message>
        <source>Reading the records&apos; natural keys</source>
        <translation>Leyendo las claves naturales de los registros</translation>
    </message>
    <message>
        <source>Reading the Django export</source>
        <translation>Leyendo la exportación de Django</translation>
    </message>
    <message>
        <source>Comparing with the clinic&apos;s data now</source>
        <translation>Comparando con los datos actuales de la clínica</translation>
    </message>
    <message>
        <source>Counting rows</source>
        <translation>Contando filas</translation>
    </message>
    <message>
        <source>Checking the file</source>
        <translation>Comprobando el archivo</translation>
    </message>
    <message>
        <source>Preparing an empty copy of the clinic</source>
        <translation>Preparando una copia vacía de la clínica</translation>
    </message>
    <message>
        <source>Loading the file into the empty copy</source>
        <translation>Cargando el archivo en la copia vacía</translation>
    </message>
    <message>
        <source>Loading rows</source>
        <translation>Cargando filas</translation>
    </message>
    <message>
        <source>Adding the remaining keys, triggers and counters</source>
        <translation>Añadiendo las claves, disparadores y contadores restantes</translation>
    </message>
    <message>
        <source>Giving everything the clinic&apos;s owners and permissions</source>
        <translation>Dando a todo los propietarios y permisos de la clínica</translation>
    </message>
    <message>
        <source>Keeping today&apos;s administrator accounts</source>
        <translation>Conservando las cuentas de administrador de hoy</translation>
    </message>
    <message>
        <source>Putting the restored clinic in place</source>
        <translation>Poniendo en su sitio la clínica restaurada</translation>
    </message>
    <message>
        <source>Restored</source>
        <translation>Restaurada</translation>
    </message>
    <message>
        <source>Undone</source>
        <translation>Deshecho</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Terminado</translation>
    </message>
    <message>
        <source>Reading the list of clinics</source>
        <translation>Leyendo la lista de clínicas</translation>
    </message>
    <message>
        <source>Backing up the clinics</source>
        <translation>Copiando las clínicas</translation>
    </message>
    <message>
        <source>Every clinic done</source>
        <translation>Todas las clínicas terminadas</translation>
    </message>
    <message>
        <source>Reading the backup</source>
        <translation>Leyendo la copia</translation>
    </message>
    <message>
        <source>Finding the chosen record</source>
        <translation>Buscando el registro elegido</translation>
    </message>
    <message>
        <source>Worked out</source>
        <translation>Calculado</translation>
    </message>
    <message>
        <source>Waiting for a moment the clinic&apos;s tables are free</source>
        <translation>Esperando un momento en que las tablas de la clínica estén libres</translation>
    </message>
    <message>
        <source>Adding the records</source>
        <translation>Añadiendo los registros</translation>
    </message>
    <message>
        <source>Brought back</source>
        <translation>Recuperado</translation>
    </message>
    <message>
        <source>Removing the recovered records</source>
        <translation>Quitando los registros recuperados</translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <source>The web application kept this clinic busy the whole time, so nothing was changed. You can try again now or later, keep trying for longer, or interrupt what the web application is doing on this clinic (the people using it at that moment may see an error).</source>
        <translation>La aplicación web mantuvo ocupada esta clínica todo el tiempo, así que no se cambió nada. Puede volver a intentarlo ahora o más tarde, seguir intentándolo durante más tiempo, o interrumpir lo que la aplicación web está haciendo en esta clínica (quienes la estén usando en ese momento pueden ver un error).</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Volver a intentarlo</translation>
    </message>
    <message>
        <source>Keep trying longer</source>
        <translation>Seguir intentándolo más tiempo</translation>
    </message>
    <message>
        <source>Interrupt the web application&apos;s work on this clinic</source>
        <translation>Interrumpir el trabajo de la aplicación web en esta clínica</translation>
    </message>
    <message>
        <source>Something unexpected went wrong ({kind}: {text}). The details below and the log file (Help menu) say more.</source>
        <translation>Algo inesperado salió mal ({kind}: {text}). Los detalles de abajo y el archivo de registro (menú Ayuda) dicen más.</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Detalles técnicos</translation>
    </message>
    <message>
        <source>Show details</source>
        <translation>Mostrar detalles</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>Copy the message and details to the clipboard</source>
        <translation>Copiar el mensaje y los detalles al portapapeles</translation>
    </message>
    <message>
        <source>Hide details</source>
        <translation>Ocultar detalles</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>Cancelled.</source>
        <translation>Cancelado.</translation>
    </message>
    <message>
        <source>The file cannot be used: it is damaged, incomplete, or not a backup Resguardo can read.</source>
        <translation>No se puede usar el archivo: está dañado, incompleto o no es una copia de seguridad que Resguardo pueda leer.</translation>
    </message>
    <message>
        <source>The key given does not open the file, or its passphrase is wrong.</source>
        <translation>La clave indicada no abre el archivo, o su frase de contraseña es incorrecta.</translation>
    </message>
    <message>
        <source>The database server could not be reached, or it refused the login.</source>
        <translation>No se pudo llegar al servidor de bases de datos, o rechazó el acceso.</translation>
    </message>
    <message>
        <source>Another backup or restore of this clinic is running; wait for it to finish.</source>
        <translation>Hay otra copia o restauración de esta clínica en curso; espere a que termine.</translation>
    </message>
    <message>
        <source>The operation failed on the server and was rolled back.</source>
        <translation>La operación falló en el servidor y se revirtió.</translation>
    </message>
    <message>
        <source>The job could not start.</source>
        <translation>La tarea no pudo empezar.</translation>
    </message>
    <message>
        <source>This cannot be done as asked.</source>
        <translation>Esto no se puede hacer tal como se pidió.</translation>
    </message>
    <message>
        <source>The job failed.</source>
        <translation>La tarea falló.</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} s</translation>
    </message>
    <message>
        <source>took {time}</source>
        <translation>duró {time}</translation>
    </message>
    <message>
        <source>{time} elapsed</source>
        <translation>{time} transcurridos</translation>
    </message>
    <message>
        <source>about {time} left</source>
        <translation>quedan unos {time}</translation>
    </message>
</context>
<context>
    <name>Formats</name>
    <message>
        <source>Resguardo format (recommended)</source>
        <translation>Formato de Resguardo (recomendado)</translation>
    </message>
    <message>
        <source>Checked and complete, with a checksum for every table; needs no other program to make, verify or restore.</source>
        <translation>Comprobado y completo, con una suma de verificación por tabla; no necesita ningún otro programa para hacerlo, verificarlo ni restaurarlo.</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automático</translation>
    </message>
    <message>
        <source>pg_dump&apos;s custom format when a pg_dump that fits the server is installed, otherwise the Resguardo format. The result says which and why.</source>
        <translation>El formato personalizado de pg_dump si hay instalado un pg_dump adecuado para el servidor; si no, el formato de Resguardo. El resultado dice cuál y por qué.</translation>
    </message>
    <message>
        <source>pg_dump custom format</source>
        <translation>Formato personalizado de pg_dump</translation>
    </message>
    <message>
        <source>For pg_restore; needs a pg_dump that fits the server.</source>
        <translation>Para pg_restore; necesita un pg_dump adecuado para el servidor.</translation>
    </message>
    <message>
        <source>Plain SQL (pg_dump)</source>
        <translation>SQL plano (pg_dump)</translation>
    </message>
    <message>
        <source>A text file of SQL statements; needs a pg_dump that fits the server.</source>
        <translation>Un archivo de texto con sentencias SQL; necesita un pg_dump adecuado para el servidor.</translation>
    </message>
</context>
<context>
    <name>JobPanel</name>
    <message>
        <source>Progress of {title}</source>
        <translation>Progreso de {title}</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Stop this job; nothing is left half-done</source>
        <translation>Detener esta tarea; nada queda a medias</translation>
    </message>
    <message>
        <source>Details…</source>
        <translation>Detalles…</translation>
    </message>
    <message>
        <source>The technical details of what went wrong</source>
        <translation>Los detalles técnicos de lo que salió mal</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Registro</translation>
    </message>
    <message>
        <source>Show this job&apos;s messages in the log panel</source>
        <translation>Mostrar los mensajes de esta tarea en el panel de registro</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Remove this finished job from the list</source>
        <translation>Quitar esta tarea terminada de la lista</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Cancelando…</translation>
    </message>
    <message>
        <source>Cancel requested.</source>
        <translation>Cancelación pedida.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Cancelado.</translation>
    </message>
    <message>
        <source>Show this job&apos;s result and buttons</source>
        <translation>Mostrar el resultado y los botones de esta tarea</translation>
    </message>
    <message>
        <source>Fold this finished job to one line</source>
        <translation>Plegar esta tarea terminada en una línea</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Tareas</translation>
    </message>
    <message>
        <source>No jobs yet. Select a clinic and choose Back up… or Restore….</source>
        <translation>Todavía no hay tareas. Seleccione una clínica y elija Copia de seguridad… o Restaurar….</translation>
    </message>
</context>
<context>
    <name>KeyDialog</name>
    <message>
        <source>Backups are not encrypted.</source>
        <translation>Las copias no se cifran.</translation>
    </message>
    <message>
        <source>Backups are encrypted to one key (fingerprint {fingerprint}…).</source>
        <translation>Las copias se cifran para una clave (huella {fingerprint}…).</translation>
    </message>
    <message numerus="yes">
        <source>Backups are encrypted to %n keys; any one of them opens them.</source>
        <translation>
            <numerusform>Las copias se cifran para %n clave; cualquiera de ellas las abre.</numerusform>
            <numerusform>Las copias se cifran para %n claves; cualquiera de ellas las abre.</numerusform>
        </translation>
    </message>
    <message>
        <source>Create an encryption key</source>
        <translation>Crear una clave de cifrado</translation>
    </message>
    <message>
        <source>Backups encrypted to this key can be read only with its key file and passphrase. Backups need only its public half, so this computer can write backups it cannot read. Keep the key file away from the backups (a USB stick in the clinic&apos;s safe, the owner&apos;s computer), and print its recovery sheet: losing the key file or the passphrase loses every backup encrypted to it alone.</source>
        <translation>Las copias cifradas para esta clave solo se pueden leer con su archivo de clave y su frase de contraseña. Las copias necesitan solo su mitad pública, así que este equipo puede escribir copias que no puede leer. Guarde el archivo de clave lejos de las copias (una memoria USB en la caja fuerte de la clínica, el equipo del propietario) e imprima su hoja de recuperación: perder el archivo de clave o la frase de contraseña pierde todas las copias cifradas solo para ella.</translation>
    </message>
    <message>
        <source>a USB stick, the owner&apos;s computer…</source>
        <translation>una memoria USB, el equipo del propietario…</translation>
    </message>
    <message>
        <source>Key file</source>
        <translation>Archivo de clave</translation>
    </message>
    <message>
        <source>Ch&amp;oose…</source>
        <translation>&amp;Elegir…</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>Frase de contraseña</translation>
    </message>
    <message>
        <source>The same passphrase again</source>
        <translation>La misma frase de contraseña otra vez</translation>
    </message>
    <message>
        <source>&amp;Encrypt the backups of profile {profile} to this key</source>
        <translation>&amp;Cifrar las copias del perfil {profile} para esta clave</translation>
    </message>
    <message>
        <source>&amp;Keep the profile&apos;s other keys too (any one of them opens a backup)</source>
        <translation>&amp;Mantener también las otras claves del perfil (cualquiera de ellas abre una copia)</translation>
    </message>
    <message>
        <source>Key &amp;file:</source>
        <translation>Archivo de c&amp;lave:</translation>
    </message>
    <message>
        <source>&amp;Passphrase:</source>
        <translation>&amp;Frase de contraseña:</translation>
    </message>
    <message>
        <source>&amp;Again:</source>
        <translation>&amp;Otra vez:</translation>
    </message>
    <message>
        <source>Public key</source>
        <translation>Clave pública</translation>
    </message>
    <message>
        <source>&amp;Copy public key</source>
        <translation>Co&amp;piar la clave pública</translation>
    </message>
    <message>
        <source>&amp;Include the key file on the sheet (still protected by its passphrase)</source>
        <translation>&amp;Incluir el archivo de clave en la hoja (sigue protegido por su frase de contraseña)</translation>
    </message>
    <message>
        <source>Save &amp;recovery sheet…</source>
        <translation>Guardar la &amp;hoja de recuperación…</translation>
    </message>
    <message>
        <source>C&amp;reate the key</source>
        <translation>C&amp;rear la clave</translation>
    </message>
    <message>
        <source>Choose where the key file goes.</source>
        <translation>Elija dónde va el archivo de clave.</translation>
    </message>
    <message numerus="yes">
        <source>At least %n characters; a few words is best.</source>
        <translation>
            <numerusform>Al menos %n carácter; lo mejor son unas cuantas palabras.</numerusform>
            <numerusform>Al menos %n caracteres; lo mejor son unas cuantas palabras.</numerusform>
        </translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>Las dos frases de contraseña no coinciden.</translation>
    </message>
    <message>
        <source>The passphrases match.</source>
        <translation>Las frases de contraseña coinciden.</translation>
    </message>
    <message>
        <source>Where the key file goes</source>
        <translation>Dónde va el archivo de clave</translation>
    </message>
    <message>
        <source>Key files (*.age);;All files (*)</source>
        <translation>Archivos de clave (*.age);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Making the key…</source>
        <translation>Creando la clave…</translation>
    </message>
    <message>
        <source>The key is made. Its private half is in {file}, protected by your passphrase; Resguardo keeps neither. Its public half, below, is all a backup needs. Fingerprint: {fingerprint}.</source>
        <translation>La clave está creada. Su mitad privada está en {file}, protegida por su frase de contraseña; Resguardo no guarda ninguna de las dos. Su mitad pública, abajo, es todo lo que necesita una copia. Huella: {fingerprint}.</translation>
    </message>
    <message>
        <source>From now on every backup of profile {profile} is encrypted: {keys}</source>
        <translation>A partir de ahora todas las copias del perfil {profile} se cifran: {keys}</translation>
    </message>
    <message>
        <source>{file} already exists: a key file is never replaced. Choose another name.</source>
        <translation>{file} ya existe: un archivo de clave nunca se reemplaza. Elija otro nombre.</translation>
    </message>
    <message>
        <source>The folder of the key file does not exist.</source>
        <translation>La carpeta del archivo de clave no existe.</translation>
    </message>
    <message>
        <source>Save the recovery sheet</source>
        <translation>Guardar la hoja de recuperación</translation>
    </message>
    <message>
        <source>Web pages (*.html);;All files (*)</source>
        <translation>Páginas web (*.html);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Recovery sheet written to {file}. Open it in a web browser and print it; keep it with the key file, away from the backups.</source>
        <translation>Hoja de recuperación escrita en {file}. Ábrala en un navegador web e imprímala; guárdela con el archivo de clave, lejos de las copias.</translation>
    </message>
</context>
<context>
    <name>KeyPrompt</name>
    <message>
        <source>Encrypted backup</source>
        <translation>Copia de seguridad cifrada</translation>
    </message>
    <message>
        <source>{file} is encrypted. Choose the key file that opens it and type the key&apos;s passphrase.</source>
        <translation>{file} está cifrado. Elija el archivo de clave que lo abre y escriba la frase de contraseña de la clave.</translation>
    </message>
    <message>
        <source>Key file</source>
        <translation>Archivo de clave</translation>
    </message>
    <message>
        <source>B&amp;rowse…</source>
        <translation>E&amp;xaminar…</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>Frase de contraseña</translation>
    </message>
    <message>
        <source>&amp;Key file:</source>
        <translation>Archivo de &amp;clave:</translation>
    </message>
    <message>
        <source>&amp;Passphrase:</source>
        <translation>&amp;Frase de contraseña:</translation>
    </message>
    <message>
        <source>The passphrase only opens the key file for this job: it is never saved nor written to the log. Leave it empty for a key file that has none.</source>
        <translation>La frase de contraseña solo abre el archivo de clave para esta tarea: nunca se guarda ni se escribe en el registro. Déjela vacía para un archivo de clave que no la tiene.</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Abrir</translation>
    </message>
    <message>
        <source>The key file</source>
        <translation>El archivo de clave</translation>
    </message>
    <message>
        <source>Key files (*.age *.txt *.key);;All files (*)</source>
        <translation>Archivos de clave (*.age *.txt *.key);;Todos los archivos (*)</translation>
    </message>
</context>
<context>
    <name>Keyring</name>
    <message>
        <source>A remembered password is kept in the system keyring, never in a file.</source>
        <translation>Una contraseña recordada se guarda en el llavero del sistema, nunca en un archivo.</translation>
    </message>
    <message>
        <source>Passwords cannot be remembered on this computer: there is no system keyring (on Linux, a Secret Service such as GNOME Keyring or KWallet). The password is kept in memory until Resguardo closes, and asked again next time.</source>
        <translation>No se pueden recordar contraseñas: este equipo no tiene llavero del sistema (en Linux, un Secret Service como GNOME Keyring o KWallet). La contraseña se guarda en memoria hasta cerrar Resguardo y se pide de nuevo la próxima vez.</translation>
    </message>
</context>
<context>
    <name>Launch</name>
    <message>
        <source>Unexpected error</source>
        <translation>Error inesperado</translation>
    </message>
</context>
<context>
    <name>LogPanel</name>
    <message>
        <source>Messages of the current job appear here.</source>
        <translation>Aquí aparecen los mensajes de la tarea actual.</translation>
    </message>
    <message>
        <source>Log of the current job</source>
        <translation>Registro de la tarea actual</translation>
    </message>
</context>
<context>
    <name>OpenFile</name>
    <message>
        <source>Open {file}</source>
        <translation>Abrir {file}</translation>
    </message>
    <message>
        <source>Opening {file}</source>
        <translation>Abriendo {file}</translation>
    </message>
    <message>
        <source>{file} opens once Resguardo is connected to a server and has listed its clinics.</source>
        <translation>{file} se abrirá cuando Resguardo esté conectado a un servidor y haya leído la lista de sus clínicas.</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>No se cambió nada.</translation>
    </message>
    <message>
        <source>Checking the file</source>
        <translation>Comprobando el archivo</translation>
    </message>
    <message>
        <source>To restore it, select a clinic in the list, then Clinic &gt; Restore….</source>
        <translation>Para restaurarla, seleccione una clínica en la lista y luego Clínica &gt; Restaurar….</translation>
    </message>
    <message>
        <source>It does not say which clinic it was made from.</source>
        <translation>No dice de qué clínica se hizo.</translation>
    </message>
    <message>
        <source>This server has no clinic {clinic}.</source>
        <translation>Este servidor no tiene la clínica {clinic}.</translation>
    </message>
    <message>
        <source>To restore it into another clinic, select that clinic, then Clinic &gt; Restore….</source>
        <translation>Para restaurarla en otra clínica, seleccione esa clínica y luego Clínica &gt; Restaurar….</translation>
    </message>
    <message>
        <source>{clinic} is busy with another job: restore it with Clinic &gt; Restore… once that job has ended.</source>
        <translation>{clinic} está ocupada con otra tarea: restáurela con Clínica &gt; Restaurar… cuando esa tarea haya terminado.</translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <source>Password needed</source>
        <translation>Se necesita una contraseña</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Contraseña</translation>
    </message>
    <message>
        <source>&amp;Remember password</source>
        <translation>&amp;Recordar la contraseña</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Conectar</translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <source>People who signed in to the web application after the backup will have to sign in again.</source>
        <translation>Quienes iniciaron sesión en la aplicación web después de la copia tendrán que volver a iniciar sesión.</translation>
    </message>
    <message>
        <source>Resguardo format</source>
        <translation>formato de Resguardo</translation>
    </message>
    <message>
        <source>plain SQL (pg_dump)</source>
        <translation>SQL plano (pg_dump)</translation>
    </message>
    <message>
        <source>Django export (dumpdata)</source>
        <translation>exportación de Django (dumpdata)</translation>
    </message>
    <message>
        <source>pg_dump custom format</source>
        <translation>formato personalizado de pg_dump</translation>
    </message>
    <message>
        <source>{clinic} is created from the backup ({rows} rows in {tables} tables).</source>
        <translation>{clinic} se crea a partir de la copia ({rows} filas en {tables} tablas).</translation>
    </message>
    <message>
        <source>{clinic} goes back to {date}</source>
        <translation>{clinic} vuelve al {date}</translation>
    </message>
    <message>
        <source>{clinic} goes back to the state of the backup</source>
        <translation>{clinic} vuelve al estado de la copia</translation>
    </message>
    <message numerus="yes">
        <source>%Ln more tables change</source>
        <translation>
            <numerusform>cambia %Ln tabla más</numerusform>
            <numerusform>cambian %Ln tablas más</numerusform>
        </translation>
    </message>
    <message>
        <source>{back_to}: {changes}.</source>
        <translation>{back_to}: {changes}.</translation>
    </message>
    <message>
        <source>{back_to}: every table has as many rows as now (rows changed since then are replaced).</source>
        <translation>{back_to}: todas las tablas tienen tantas filas como ahora (las filas cambiadas desde entonces se reemplazan).</translation>
    </message>
    <message numerus="yes">
        <source>The rows now of %Ln large tables are estimates.</source>
        <translation>
            <numerusform>Las filas actuales de %Ln tabla grande son una estimación.</numerusform>
            <numerusform>Las filas actuales de %Ln tablas grandes son una estimación.</numerusform>
        </translation>
    </message>
    <message>
        <source>{clinic}&apos;s data will be replaced by {source}&apos;s (backup of {date})</source>
        <translation>Los datos de {clinic} se reemplazarán por los de {source} (copia del {date})</translation>
    </message>
    <message>
        <source>{clinic}&apos;s data will be replaced by {source}&apos;s</source>
        <translation>Los datos de {clinic} se reemplazarán por los de {source}</translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows come back in {table}</source>
        <translation>
            <numerusform>vuelve %Ln fila en {table}</numerusform>
            <numerusform>vuelven %Ln filas en {table}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows of {table} go away</source>
        <translation>
            <numerusform>desaparece %Ln fila de {table}</numerusform>
            <numerusform>desaparecen %Ln filas de {table}</numerusform>
        </translation>
    </message>
    <message>
        <source>, {size} of data once loaded</source>
        <translation>, {size} de datos una vez cargado</translation>
    </message>
    <message>
        <source>{name} ({format}, {size}{data}); every checksum verified</source>
        <translation>{name} ({format}, {size}{data}); todas las sumas de verificación comprobadas</translation>
    </message>
    <message>
        <source>{name}, encrypted: {file}</source>
        <translation>{name}, cifrado: {file}</translation>
    </message>
    <message>
        <source>date not recorded in the file</source>
        <translation>fecha no registrada en el archivo</translation>
    </message>
    <message>
        <source>clinic not recorded in the file</source>
        <translation>clínica no registrada en el archivo</translation>
    </message>
    <message>
        <source>this clinic</source>
        <translation>esta clínica</translation>
    </message>
    <message>
        <source>another clinic: {name}</source>
        <translation>otra clínica: {name}</translation>
    </message>
    <message>
        <source>{date}, from {where}</source>
        <translation>{date}, de {where}</translation>
    </message>
    <message>
        <source>, with {tool}</source>
        <translation>, con {tool}</translation>
    </message>
    <message>
        <source>{accounts}: they keep their accounts and current passwords</source>
        <translation>{accounts}: conservan su cuenta y su contraseña actual</translation>
    </message>
    <message>
        <source>none found</source>
        <translation>no se encontró ninguno</translation>
    </message>
    <message>
        <source>The current data of {clinic} is kept as the previous version, so this restore can be undone.</source>
        <translation>Los datos actuales de {clinic} se guardan como versión anterior, así que esta restauración se puede deshacer.</translation>
    </message>
    <message>
        <source>an earlier restore</source>
        <translation>una restauración anterior</translation>
    </message>
    <message>
        <source>The previous version kept on {date} is deleted.</source>
        <translation>Se elimina la versión anterior guardada el {date}.</translation>
    </message>
    <message>
        <source>{what} ({count})</source>
        <translation>{what} ({count})</translation>
    </message>
    <message>
        <source>The rows were not compared with today&apos;s: the web application&apos;s own rules hide some of them from this sign-in. The restore is not affected.</source>
        <translation>Las filas no se compararon con las de hoy: las propias reglas de la aplicación web ocultan algunas a este inicio de sesión. La restauración no se ve afectada.</translation>
    </message>
    <message>
        <source>Made since the backup, and lost by this restore: {rows}.</source>
        <translation>Creado después de la copia, y que esta restauración perdería: {rows}.</translation>
    </message>
    <message>
        <source>Changed since the backup, and put back as they were: {rows}.</source>
        <translation>Modificado después de la copia, y que volvería a como estaba: {rows}.</translation>
    </message>
    <message>
        <source>Deleted since the backup, and brought back: {rows}.</source>
        <translation>Borrado después de la copia, y que vuelve: {rows}.</translation>
    </message>
    <message>
        <source>Row by row, the backup holds the same data as the clinic now.</source>
        <translation>Fila por fila, la copia tiene los mismos datos que la clínica ahora.</translation>
    </message>
    <message>
        <source>Nothing to keep: the clinic has no data yet.</source>
        <translation>No hay nada que guardar: la clínica todavía no tiene datos.</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Made</source>
        <translation>Hecha</translation>
    </message>
    <message>
        <source>Administrators</source>
        <translation>Administradores</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Deshacer</translation>
    </message>
    <message>
        <source>This backup was made from another clinic ({name}); its data will replace {clinic}&apos;s.</source>
        <translation>Esta copia se hizo de otra clínica ({name}); sus datos reemplazarán los de {clinic}.</translation>
    </message>
    <message>
        <source>Other clinics have names that look like this one&apos;s but are different: {others}. Check that {clinic} is the clinic you mean; its internal name is {schema}.</source>
        <translation>Otras clínicas tienen nombres que se parecen al de esta, pero son distintas: {others}. Compruebe que {clinic} es la clínica que quiere; su nombre interno es {schema}.</translation>
    </message>
    <message>
        <source>{clinic} ({schema})</source>
        <translation>{clinic} ({schema})</translation>
    </message>
    <message>
        <source>Another backup or restore of {clinic} is running now; wait for it to finish.</source>
        <translation>Ahora hay otra copia o restauración de {clinic} en curso; espere a que termine.</translation>
    </message>
    <message>
        <source>These tables exist now but not in the backup, and will be gone: {tables}.</source>
        <translation>Estas tablas existen ahora pero no en la copia, y desaparecerán: {tables}.</translation>
    </message>
    <message>
        <source>The backup&apos;s database migrations differ from the clinic&apos;s ({in_file} only in the backup, {live} only now): after the restore, run the web application&apos;s migrate_schemas for this clinic.</source>
        <translation>Las migraciones de base de datos de la copia no coinciden con las de la clínica ({in_file} solo en la copia, {live} solo ahora): después de restaurar, ejecute migrate_schemas de la aplicación web para esta clínica.</translation>
    </message>
    <message>
        <source>{clinic} has no data yet; the restore creates it.</source>
        <translation>{clinic} todavía no tiene datos; la restauración los crea.</translation>
    </message>
</context>
<context>
    <name>ProfileKeys</name>
    <message>
        <source>Remove the key {fingerprint}… from the profile {profile}?</source>
        <translation>¿Quitar la clave {fingerprint}… del perfil {profile}?</translation>
    </message>
    <message>
        <source>Backups already written stay encrypted to it: those encrypted to this key alone open only with its key file and passphrase, so keep them as long as any such backup is kept.</source>
        <translation>Las copias de seguridad ya escritas siguen cifradas para ella: las cifradas solo para esta clave se abren únicamente con su archivo de clave y su frase de contraseña, así que consérvelos mientras se guarde alguna de esas copias.</translation>
    </message>
    <message>
        <source>New backups of {profile} will be written plain: not encrypted, readable by anyone who finds them.</source>
        <translation>Las nuevas copias de seguridad de {profile} se escribirán sin cifrar: legibles para cualquiera que las encuentre.</translation>
    </message>
    <message>
        <source>New backups of {profile} will be encrypted only to the other key ({fingerprint}…).</source>
        <translation>Las nuevas copias de seguridad de {profile} se cifrarán solo para la otra clave ({fingerprint}…).</translation>
    </message>
    <message>
        <source>New backups of {profile} will be encrypted only to the other {count} keys.</source>
        <translation>Las nuevas copias de seguridad de {profile} se cifrarán solo para las otras {count} claves.</translation>
    </message>
    <message>
        <source>Nothing else is deleted: Resguardo keeps no private key, neither in a file of its own nor in the system keyring, and the key file stays where you put it.</source>
        <translation>No se borra nada más: Resguardo no guarda ninguna clave privada, ni en un archivo propio ni en el llavero del sistema, y el archivo de clave sigue donde usted lo dejó.</translation>
    </message>
    <message>
        <source>Not removed: it is the profile&apos;s only key, and the schedule {names} backs up with this profile; without a key its next backups would be plain. Create another key for the profile first, or remove the schedule.</source>
        <translation>No se quitó: es la única clave del perfil, y la programación {names} hace copias de seguridad con este perfil; sin clave, sus próximas copias se escribirían sin cifrar. Cree antes otra clave para el perfil, o elimine la programación.</translation>
    </message>
    <message>
        <source>Not removed: it is the profile&apos;s only key, and the schedules {names} back up with this profile; without a key their next backups would be plain. Create another key for the profile first, or remove the schedules.</source>
        <translation>No se quitó: es la única clave del perfil, y las programaciones {names} hacen copias de seguridad con este perfil; sin clave, sus próximas copias se escribirían sin cifrar. Cree antes otra clave para el perfil, o elimine las programaciones.</translation>
    </message>
    <message>
        <source>The profile&apos;s keys</source>
        <translation>Las claves del perfil</translation>
    </message>
    <message>
        <source>Remo&amp;ve key…</source>
        <translation>&amp;Quitar la clave…</translation>
    </message>
    <message>
        <source>Remove the key</source>
        <translation>Quitar la clave</translation>
    </message>
    <message>
        <source>&amp;Remove the key</source>
        <translation>&amp;Quitar la clave</translation>
    </message>
    <message>
        <source>Removed the key. New backups of {profile} are encrypted only to the keys left; backups already written still open with the key removed.</source>
        <translation>Clave quitada. Las nuevas copias de seguridad de {profile} se cifran solo para las claves que quedan; las copias ya escritas se siguen abriendo con la clave quitada.</translation>
    </message>
    <message>
        <source>Removed the key. New backups of {profile} are plain; backups already written stay encrypted and still need that key.</source>
        <translation>Clave quitada. Las nuevas copias de seguridad de {profile} se escriben sin cifrar; las copias ya escritas siguen cifradas y necesitan esa clave.</translation>
    </message>
</context>
<context>
    <name>Profiles</name>
    <message>
        <source>Connection profiles</source>
        <translation>Perfiles de conexión</translation>
    </message>
    <message>
        <source>Saved profiles</source>
        <translation>Perfiles guardados</translation>
    </message>
    <message>
        <source>&amp;New</source>
        <translation>Nu&amp;evo</translation>
    </message>
    <message>
        <source>Re&amp;member password</source>
        <translation>Recor&amp;dar la contraseña</translation>
    </message>
    <message>
        <source>Looking for the system keyring…</source>
        <translation>Buscando el llavero del sistema…</translation>
    </message>
    <message>
        <source>only for verify-ca / verify-full</source>
        <translation>solo para verify-ca / verify-full</translation>
    </message>
    <message>
        <source>found automatically (e.g. public.customers_client)</source>
        <translation>se encuentra sola (p. ej. public.customers_client)</translation>
    </message>
    <message>
        <source>found automatically (e.g. users_customuser)</source>
        <translation>se encuentra sola (p. ej. users_customuser)</translation>
    </message>
    <message>
        <source>N&amp;ame:</source>
        <translation>&amp;Nombre:</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>Ser&amp;vidor:</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>&amp;Puerto:</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Usuario:</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Contra&amp;seña:</translation>
    </message>
    <message>
        <source>Clinics &amp;table:</source>
        <translation>&amp;Tabla de clínicas:</translation>
    </message>
    <message>
        <source>De&amp;lete</source>
        <translation>El&amp;iminar</translation>
    </message>
    <message>
        <source>B&amp;rowse…</source>
        <translation>E&amp;xaminar…</translation>
    </message>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Base de datos:</translation>
    </message>
    <message>
        <source>SSL m&amp;ode:</source>
        <translation>&amp;Modo SSL:</translation>
    </message>
    <message>
        <source>Root cert&amp;ificate:</source>
        <translation>Certificado &amp;raíz:</translation>
    </message>
    <message>
        <source>Users ta&amp;ble:</source>
        <translation>Tab&amp;la de usuarios:</translation>
    </message>
    <message>
        <source>Create a &amp;key…</source>
        <translation>Crear una &amp;clave…</translation>
    </message>
    <message>
        <source>Encryption:</source>
        <translation>Cifrado:</translation>
    </message>
    <message>
        <source>Profile name</source>
        <translation>Nombre del perfil</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>Puerto</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Base de datos</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Usuario</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Contraseña</translation>
    </message>
    <message>
        <source>SSL mode</source>
        <translation>Modo SSL</translation>
    </message>
    <message>
        <source>Root certificate</source>
        <translation>Certificado raíz</translation>
    </message>
    <message>
        <source>Clinics table</source>
        <translation>Tabla de clínicas</translation>
    </message>
    <message>
        <source>Users table</source>
        <translation>Tabla de usuarios</translation>
    </message>
    <message>
        <source>T&amp;est connection</source>
        <translation>Pr&amp;obar la conexión</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>Conect&amp;ar</translation>
    </message>
    <message>
        <source>Never encrypt</source>
        <translation>No cifrar nunca</translation>
    </message>
    <message>
        <source>Encrypt only if the server insists</source>
        <translation>Cifrar solo si el servidor lo exige</translation>
    </message>
    <message>
        <source>Encrypt when the server can</source>
        <translation>Cifrar cuando el servidor pueda</translation>
    </message>
    <message>
        <source>Always encrypt, without checking the server</source>
        <translation>Cifrar siempre, sin comprobar el servidor</translation>
    </message>
    <message>
        <source>Encrypt and check the server&apos;s certificate</source>
        <translation>Cifrar y comprobar el certificado del servidor</translation>
    </message>
    <message>
        <source>Encrypt and check the certificate and the server&apos;s name</source>
        <translation>Cifrar y comprobar el certificado y el nombre del servidor</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Guardar</translation>
    </message>
    <message>
        <source>(remembered)</source>
        <translation>(recordada)</translation>
    </message>
    <message>
        <source>Save the profile to give it a key.</source>
        <translation>Guarde el perfil para darle una clave.</translation>
    </message>
    <message>
        <source>Give the profile a name.</source>
        <translation>Dé un nombre al perfil.</translation>
    </message>
    <message>
        <source>Certificates (*.crt *.pem *.cer);;All files (*)</source>
        <translation>Certificados (*.crt *.pem *.cer);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Connecting to {host}:{port}…</source>
        <translation>Conectando con {host}:{port}…</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Guardado.</translation>
    </message>
    <message>
        <source>The password is in the system keyring.</source>
        <translation>La contraseña está en el llavero del sistema.</translation>
    </message>
    <message>
        <source>The keyring refused the password: it is kept in memory until Resguardo closes.</source>
        <translation>El llavero rechazó la contraseña: se guarda en memoria hasta que Resguardo se cierre.</translation>
    </message>
    <message>
        <source>Saved. The password is not remembered; it will be asked next time Resguardo starts.</source>
        <translation>Guardado. La contraseña no se recuerda; se pedirá la próxima vez que Resguardo arranque.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Guardando…</translation>
    </message>
    <message>
        <source>Deleted the profile {name} and its remembered password.</source>
        <translation>Se eliminó el perfil {name} y su contraseña recordada.</translation>
    </message>
</context>
<context>
    <name>RecoverDialog</name>
    <message>
        <source>Recover records into {clinic}</source>
        <translation>Recuperar registros en {clinic}</translation>
    </message>
    <message>
        <source>Find the record to bring back from {file} (backup of {when}). It is added to {clinic} as it was then; nothing that {clinic} holds now is changed or removed.</source>
        <translation>Busque el registro que quiere recuperar de {file} (copia del {when}). Se añade a {clinic} tal como era entonces; nada de lo que {clinic} tiene ahora se cambia ni se borra.</translation>
    </message>
    <message>
        <source>What the backup holds</source>
        <translation>Lo que contiene la copia</translation>
    </message>
    <message>
        <source>Table {name}</source>
        <translation>Tabla {name}</translation>
    </message>
    <message>
        <source>Its rows cannot be told apart (no key): it can only come back with a restore.</source>
        <translation>Sus filas no se pueden distinguir (no tiene clave): solo puede volver con una restauración.</translation>
    </message>
    <message>
        <source>&amp;What the backup holds:</source>
        <translation>&amp;Lo que contiene la copia:</translation>
    </message>
    <message>
        <source>&amp;All its rows in the backup</source>
        <translation>&amp;Todas sus filas de la copia</translation>
    </message>
    <message>
        <source>Only those &amp;deleted since the backup</source>
        <translation>Solo las &amp;eliminadas desde la copia</translation>
    </message>
    <message>
        <source>Search in</source>
        <translation>Buscar en</translation>
    </message>
    <message>
        <source>Text to look for, e.g. part of an email</source>
        <translation>Texto que buscar, p. ej. parte de un correo</translation>
    </message>
    <message>
        <source>Text to look for</source>
        <translation>Texto que buscar</translation>
    </message>
    <message>
        <source>&amp;No value</source>
        <translation>&amp;Sin valor</translation>
    </message>
    <message>
        <source>Only the rows where this column is empty (NULL), which no text stands for</source>
        <translation>Solo las filas en las que esta columna no tiene valor (NULL), que ningún texto puede representar</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>&amp;Buscar</translation>
    </message>
    <message>
        <source>Searc&amp;h in:</source>
        <translation>B&amp;uscar en:</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>&amp;Detener</translation>
    </message>
    <message>
        <source>Also bring back what belongs to it (a patient&apos;s profile, appointments, messages…)</source>
        <translation>Recuperar también lo que le pertenece (el perfil, las citas y los mensajes de un paciente…)</translation>
    </message>
    <message>
        <source>&amp;Continue…</source>
        <translation>&amp;Continuar…</translation>
    </message>
    <message>
        <source>Work out what comes back with the chosen record, and show it before anything</source>
        <translation>Calcular lo que vuelve con el registro elegido y mostrarlo antes de hacer nada</translation>
    </message>
    <message>
        <source>any column</source>
        <translation>cualquier columna</translation>
    </message>
    <message>
        <source>Comparing the backup with {clinic} now…</source>
        <translation>Comparando la copia con {clinic} ahora…</translation>
    </message>
    <message>
        <source>Reading the backup…</source>
        <translation>Leyendo la copia…</translation>
    </message>
    <message>
        <source>No value (NULL)</source>
        <translation>Sin valor (NULL)</translation>
    </message>
    <message>
        <source>Nothing of this was deleted since the backup.</source>
        <translation>No se ha eliminado nada de esto desde la copia.</translation>
    </message>
    <message>
        <source>No row found.</source>
        <translation>No se ha encontrado ninguna fila.</translation>
    </message>
    <message>
        <source>No rows.</source>
        <translation>No hay filas.</translation>
    </message>
    <message>
        <source>Showing the first {shown} of {found} rows found; search to narrow them down.</source>
        <translation>Se muestran las primeras {shown} de {found} filas encontradas; busque para acotarlas.</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Detenido.</translation>
    </message>
    <message>
        <source>The rows of this table cannot be told apart, so none can be brought back alone.</source>
        <translation>Las filas de esta tabla no se pueden distinguir, así que ninguna se puede recuperar por separado.</translation>
    </message>
    <message>
        <source>Choose one record or more (Ctrl or Shift for several).</source>
        <translation>Elija un registro o más (Ctrl o Mayús para varios).</translation>
    </message>
    <message>
        <source>Choose at most {most} records at once.</source>
        <translation>Elija como mucho {most} registros a la vez.</translation>
    </message>
    <message>
        <source>Chosen: {records}.</source>
        <translation>Elegido: {records}.</translation>
    </message>
    <message>
        <source>Rows found; choose the ones to bring back</source>
        <translation>Filas encontradas; elija las que quiere recuperar</translation>
    </message>
    <message numerus="yes">
        <source>{words} (%Ln rows)</source>
        <translation>
            <numerusform>{words} (%Ln fila)</numerusform>
            <numerusform>{words} (%Ln filas)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows deleted since the backup.</source>
        <translation>
            <numerusform>%Ln fila eliminada desde la copia.</numerusform>
            <numerusform>%Ln filas eliminadas desde la copia.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln rows found.</source>
        <translation>
            <numerusform>%Ln fila encontrada.</numerusform>
            <numerusform>%Ln filas encontradas.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records of {what}: {keys}</source>
        <translation>
            <numerusform>%Ln registro de {what}: {keys}</numerusform>
            <numerusform>%Ln registros de {what}: {keys}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecoverFlow</name>
    <message>
        <source>Resguardo backups (*.resguardo *.age);;All files (*)</source>
        <translation>Copias de Resguardo (*.resguardo *.age);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Recover records into {clinic}: choose a backup</source>
        <translation>Recuperar registros en {clinic}: elija una copia de seguridad</translation>
    </message>
    <message>
        <source>Recover records into {clinic} from {file}</source>
        <translation>Recuperar registros en {clinic} desde {file}</translation>
    </message>
    <message>
        <source>Recovering records into {clinic} of {server} from {file}</source>
        <translation>Recuperando registros en {clinic} de {server} desde {file}</translation>
    </message>
    <message>
        <source>Reading the backup</source>
        <translation>Leyendo la copia</translation>
    </message>
    <message>
        <source>The connection was closed.</source>
        <translation>Se ha cerrado la conexión.</translation>
    </message>
    <message>
        <source>Waiting for you to choose a record</source>
        <translation>Esperando a que elija un registro</translation>
    </message>
    <message>
        <source>No record was chosen.</source>
        <translation>No se ha elegido ningún registro.</translation>
    </message>
    <message>
        <source>Chosen: {record}</source>
        <translation>Elegido: {record}</translation>
    </message>
    <message>
        <source>Working out what comes back with it</source>
        <translation>Calculando lo que vuelve con él</translation>
    </message>
    <message>
        <source>Waiting for your confirmation</source>
        <translation>Esperando su confirmación</translation>
    </message>
    <message>
        <source>You did not confirm the recovery.</source>
        <translation>No ha confirmado la recuperación.</translation>
    </message>
    <message>
        <source>Undo this recovery</source>
        <translation>Deshacer esta recuperación</translation>
    </message>
    <message>
        <source>Remove the records this recovery added</source>
        <translation>Quitar los registros que añadió esta recuperación</translation>
    </message>
    <message>
        <source>Bringing the records back</source>
        <translation>Recuperando los registros</translation>
    </message>
    <message>
        <source>There is no recovery of {clinic} to undo on this computer.</source>
        <translation>En este equipo no hay ninguna recuperación de {clinic} que deshacer.</translation>
    </message>
    <message>
        <source>Undo recovery</source>
        <translation>Deshacer la recuperación</translation>
    </message>
    <message>
        <source>Remove them</source>
        <translation>Quitarlos</translation>
    </message>
    <message>
        <source>Undo the recovery into {clinic} of {when}</source>
        <translation>Deshacer la recuperación en {clinic} del {when}</translation>
    </message>
    <message>
        <source>Removing the recovered records</source>
        <translation>Quitando los registros recuperados</translation>
    </message>
    <message>
        <source>Undo recovery… removes them again.</source>
        <translation>Deshacer la recuperación… los vuelve a quitar.</translation>
    </message>
    <message>
        <source>A backup of another clinic</source>
        <translation>Una copia de otra clínica</translation>
    </message>
    <message>
        <source>{file} is a backup of {other}, not of {clinic}. Bring the chosen record from it into {clinic} anyway?</source>
        <translation>{file} es una copia de {other}, no de {clinic}. ¿Traer de todos modos el registro elegido a {clinic}?</translation>
    </message>
    <message>
        <source>Bring it into {clinic}</source>
        <translation>Traerlo a {clinic}</translation>
    </message>
    <message>
        <source>You chose not to use a backup of another clinic.</source>
        <translation>Ha elegido no usar una copia de otra clínica.</translation>
    </message>
    <message numerus="yes">
        <source>The backup holds %Ln tables.</source>
        <translation>
            <numerusform>La copia contiene %Ln tabla.</numerusform>
            <numerusform>La copia contiene %Ln tablas.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records would come back</source>
        <translation>
            <numerusform>Volvería %Ln registro</numerusform>
            <numerusform>Volverían %Ln registros</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Remove the %Ln records recovered into {clinic} on {when} from {file}? Nothing else of {clinic} is touched. If any of them was changed since, nothing is removed and you are told which.</source>
        <translation>
            <numerusform>¿Quitar el %Ln registro recuperado en {clinic} el {when} desde {file}? No se toca nada más de {clinic}. Si ha cambiado desde entonces, no se quita nada y se le dice cuál.</numerusform>
            <numerusform>¿Quitar los %Ln registros recuperados en {clinic} el {when} desde {file}? No se toca nada más de {clinic}. Si alguno ha cambiado desde entonces, no se quita nada y se le dice cuál.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Removed the %Ln records recovered into {clinic} on {when}, in {time}.</source>
        <translation>
            <numerusform>Se ha quitado el %Ln registro recuperado en {clinic} el {when}, en {time}.</numerusform>
            <numerusform>Se han quitado los %Ln registros recuperados en {clinic} el {when}, en {time}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records brought back into {clinic} from {file}, in {time}</source>
        <translation>
            <numerusform>%Ln registro recuperado en {clinic} desde {file}, en {time}</numerusform>
            <numerusform>%Ln registros recuperados en {clinic} desde {file}, en {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records were skipped: the clinic holds other data under the same number.</source>
        <translation>
            <numerusform>Se ha omitido %Ln registro: la clínica tiene otros datos con el mismo número.</numerusform>
            <numerusform>Se han omitido %Ln registros: la clínica tiene otros datos con el mismo número.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln warnings: see the log.</source>
        <translation>
            <numerusform>%Ln aviso: vea el registro.</numerusform>
            <numerusform>%Ln avisos: vea el registro.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecoverPreview</name>
    <message>
        <source>you chose it</source>
        <translation>lo ha elegido usted</translation>
    </message>
    <message>
        <source>it belongs to a record that comes back</source>
        <translation>pertenece a un registro que vuelve</translation>
    </message>
    <message>
        <source>a record that comes back needs it, and the clinic no longer has it</source>
        <translation>lo necesita un registro que vuelve, y la clínica ya no lo tiene</translation>
    </message>
    <message>
        <source>{what}: {count}</source>
        <translation>{what}: {count}</translation>
    </message>
    <message>
        <source>Nothing to bring back: {clinic} already has everything this record needs.</source>
        <translation>No hay nada que recuperar: {clinic} ya tiene todo lo que necesita este registro.</translation>
    </message>
    <message>
        <source>Nothing that {clinic} holds now is changed or removed.</source>
        <translation>Nada de lo que {clinic} tiene ahora se cambia ni se borra.</translation>
    </message>
    <message>
        <source>skipped: {columns} is now used by another record ({key}), which is left as it is</source>
        <translation>se omite: {columns} lo usa ahora otro registro ({key}), que se deja como está</translation>
    </message>
    <message>
        <source>skipped: the clinic has this record with other values now ({columns}); they are kept</source>
        <translation>se omite: la clínica tiene ahora este registro con otros valores ({columns}); se conservan</translation>
    </message>
    <message>
        <source>Recover records into {clinic}?</source>
        <translation>¿Recuperar registros en {clinic}?</translation>
    </message>
    <message>
        <source>{file} (encrypted)</source>
        <translation>{file} (cifrada)</translation>
    </message>
    <message>
        <source>From: {file}, backup of {when}</source>
        <translation>De: {file}, copia del {when}</translation>
    </message>
    <message>
        <source>Chosen: {record}</source>
        <translation>Elegido: {record}</translation>
    </message>
    <message>
        <source>Clinic → Undo recovery… removes exactly these records again, as long as nobody has changed them.</source>
        <translation>Clínica → Deshacer la recuperación… vuelve a quitar exactamente estos registros, mientras nadie los haya cambiado.</translation>
    </message>
    <message>
        <source>The records to add, table by table</source>
        <translation>Los registros que se añaden, tabla por tabla</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Registro</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Por qué</translation>
    </message>
    <message>
        <source>Some of its values</source>
        <translation>Algunos de sus valores</translation>
    </message>
    <message>
        <source>Table {name}</source>
        <translation>Tabla {name}</translation>
    </message>
    <message>
        <source>already in the clinic, as it was</source>
        <translation>ya está en la clínica, como era</translation>
    </message>
    <message>
        <source>other records</source>
        <translation>otros registros</translation>
    </message>
    <message>
        <source>This backup is of another clinic, {other}: its records go into {clinic}.</source>
        <translation>Esta copia es de otra clínica, {other}: sus registros van a {clinic}.</translation>
    </message>
    <message numerus="yes">
        <source>%Ln records come back into {clinic}</source>
        <translation>
            <numerusform>Vuelve %Ln registro a {clinic}</numerusform>
            <numerusform>Vuelven %Ln registros a {clinic}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records are already in the clinic as in the backup: left as they are.</source>
        <translation>
            <numerusform>%Ln registro ya está en la clínica como en la copia: se deja como está.</numerusform>
            <numerusform>%Ln registros ya están en la clínica como en la copia: se dejan como están.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln records are skipped: the clinic holds other data under the same number now, which is kept.</source>
        <translation>
            <numerusform>Se omite %Ln registro: la clínica tiene ahora otros datos con el mismo número, que se conservan.</numerusform>
            <numerusform>Se omiten %Ln registros: la clínica tiene ahora otros datos con el mismo número, que se conservan.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&amp;Bring back %Ln records</source>
        <translation>
            <numerusform>&amp;Recuperar %Ln registro</numerusform>
            <numerusform>&amp;Recuperar %Ln registros</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{what}: %Ln to add</source>
        <translation>
            <numerusform>{what}: %Ln que añadir</numerusform>
            <numerusform>{what}: %Ln que añadir</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RestoreDialog</name>
    <message>
        <source>none (new table)</source>
        <translation>ninguna (tabla nueva)</translation>
    </message>
    <message>
        <source>≈{rows} (estimate)</source>
        <translation>≈{rows} (estimación)</translation>
    </message>
    <message>
        <source>Restore {clinic}?</source>
        <translation>¿Restaurar {clinic}?</translation>
    </message>
    <message>
        <source>Highlighted: tables whose number of rows changes. Every row of every table is replaced by the backup&apos;s.</source>
        <translation>Resaltadas: las tablas cuyo número de filas cambia. Todas las filas de todas las tablas se reemplazan por las de la copia.</translation>
    </message>
    <message>
        <source>To confirm, type the clinic&apos;s internal name, &lt;b&gt;{name}&lt;/b&gt;:</source>
        <translation>Para confirmar, escriba el nombre interno de la clínica, &lt;b&gt;{name}&lt;/b&gt;:</translation>
    </message>
    <message>
        <source>Type {name} to confirm</source>
        <translation>Escriba {name} para confirmar</translation>
    </message>
    <message>
        <source>&amp;Restore {clinic}</source>
        <translation>&amp;Restaurar {clinic}</translation>
    </message>
    <message>
        <source>Rows of each table, in the backup and now</source>
        <translation>Filas de cada tabla, en la copia y ahora</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>Tabla</translation>
    </message>
    <message>
        <source>In the backup</source>
        <translation>En la copia</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>Ahora</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Cambio</translation>
    </message>
    <message>
        <source>nothing more</source>
        <translation>nada más</translation>
    </message>
    <message>
        <source>{typed} is another clinic, {clinic} (internal name {schema}), or reads like it. This restore replaces {this}: Restore stays off.</source>
        <translation>{typed} es otra clínica, {clinic} (nombre interno {schema}), o se lee como ella. Esta restauración reemplaza los datos de {this}: Restaurar sigue desactivado.</translation>
    </message>
    <message>
        <source>character {n} is {typed}, the internal name has {expected}</source>
        <translation>el carácter {n} es {typed}, el nombre interno tiene {expected}</translation>
    </message>
    <message>
        <source>What you typed reads like the internal name but is not the same ({where}): a letter in another case, a look-alike letter or a hidden character. Restore stays off until it is exactly the same.</source>
        <translation>Lo que escribió se lee como el nombre interno, pero no es igual ({where}): una mayúscula o minúscula distinta, una letra que se parece a otra o un carácter oculto. Restaurar sigue desactivado hasta que sea exactamente igual.</translation>
    </message>
    <message>
        <source>That is not the internal name ({where}). Restore stays off until it is the same.</source>
        <translation>Ese no es el nombre interno ({where}). Restaurar sigue desactivado hasta que sea igual.</translation>
    </message>
</context>
<context>
    <name>RestoreFlow</name>
    <message>
        <source>People who signed in to the web application after the backup will have to sign in again.</source>
        <translation>Quienes iniciaron sesión en la aplicación web después de la copia tendrán que volver a iniciar sesión.</translation>
    </message>
    <message>
        <source>connection {pid} ({application}, from {client})</source>
        <translation>conexión {pid} ({application}, desde {client})</translation>
    </message>
    <message>
        <source>The web application&apos;s work on this clinic was interrupted: {which}.</source>
        <translation>Se interrumpió el trabajo de la aplicación web en esta clínica: {which}.</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>No se cambió nada.</translation>
    </message>
    <message>
        <source>Restore {clinic}: choose a backup file</source>
        <translation>Restaurar {clinic}: elija un archivo de copia</translation>
    </message>
    <message>
        <source>Restore {clinic} from {file}</source>
        <translation>Restaurar {clinic} desde {file}</translation>
    </message>
    <message>
        <source>Verifying the file</source>
        <translation>Verificando el archivo</translation>
    </message>
    <message>
        <source>The file is complete and every checksum matches.</source>
        <translation>El archivo está completo y todas las sumas de verificación coinciden.</translation>
    </message>
    <message>
        <source>Waiting for your confirmation</source>
        <translation>Esperando su confirmación</translation>
    </message>
    <message>
        <source>You did not confirm the restore.</source>
        <translation>No confirmó la restauración.</translation>
    </message>
    <message>
        <source>Restoring {clinic} of {server} from {file}</source>
        <translation>Restaurando {clinic} de {server} desde {file}</translation>
    </message>
    <message>
        <source>Starting the restore</source>
        <translation>Empezando la restauración</translation>
    </message>
    <message>
        <source>Undo this restore</source>
        <translation>Deshacer esta restauración</translation>
    </message>
    <message>
        <source>Put the clinic back as it was before this restore</source>
        <translation>Devolver la clínica a como estaba antes de esta restauración</translation>
    </message>
    <message>
        <source>Can no longer be undone</source>
        <translation>Ya no se puede deshacer</translation>
    </message>
    <message>
        <source>No longer possible from here: the previous version this restore kept has since been replaced or deleted (by another restore, an undo or a discard).</source>
        <translation>Ya no es posible desde aquí: la versión anterior que guardó esta restauración se ha reemplazado o eliminado después (por otra restauración, un deshacer o un descarte).</translation>
    </message>
    <message>
        <source>{clinic} is back to the version kept on {date}.</source>
        <translation>{clinic} ha vuelto a la versión guardada el {date}.</translation>
    </message>
    <message>
        <source>The data it replaced is now the previous version kept for undo, so this can be undone too.</source>
        <translation>Los datos que reemplazó son ahora la versión anterior guardada para deshacer, así que esto también se puede deshacer.</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Deshacer</translation>
    </message>
    <message>
        <source>Put back the version of {clinic} kept on {date}? The data {clinic} has now becomes the previous version kept for undo, so this can be undone too.</source>
        <translation>¿Reponer la versión de {clinic} guardada el {date}? Los datos que {clinic} tiene ahora pasan a ser la versión anterior guardada para deshacer, así que esto también se puede deshacer.</translation>
    </message>
    <message>
        <source>Put it back</source>
        <translation>Reponerla</translation>
    </message>
    <message>
        <source>Undo: {clinic} back to {date}</source>
        <translation>Deshacer: {clinic} vuelve al {date}</translation>
    </message>
    <message>
        <source>Starting the undo</source>
        <translation>Empezando a deshacer</translation>
    </message>
    <message>
        <source>Discard previous version</source>
        <translation>Descartar la versión anterior</translation>
    </message>
    <message>
        <source>Delete the previous version of {clinic} kept on {date}? The restore that kept it can then no longer be undone. The clinic&apos;s current data is not touched.</source>
        <translation>¿Eliminar la versión anterior de {clinic} guardada el {date}? La restauración que la guardó ya no se podrá deshacer. Los datos actuales de la clínica no se tocan.</translation>
    </message>
    <message>
        <source>Delete it</source>
        <translation>Eliminarla</translation>
    </message>
    <message>
        <source>Discard the previous version of {clinic}</source>
        <translation>Descartar la versión anterior de {clinic}</translation>
    </message>
    <message>
        <source>Deleting the previous version</source>
        <translation>Eliminando la versión anterior</translation>
    </message>
    <message>
        <source>Deleted the previous version of {clinic} kept on {date}. The clinic&apos;s current data was not touched.</source>
        <translation>Se eliminó la versión anterior de {clinic} guardada el {date}. Los datos actuales de la clínica no se tocaron.</translation>
    </message>
    <message>
        <source>{clinic} restored from {file}: {rows} rows in {tables} tables, {time}.</source>
        <translation>{clinic} restaurada desde {file}: {rows} filas en {tables} tablas, {time}.</translation>
    </message>
    <message>
        <source>The backup was made from {other}.</source>
        <translation>La copia se hizo de {other}.</translation>
    </message>
    <message>
        <source>Administrators kept with their current passwords: {accounts}.</source>
        <translation>Administradores que conservan su contraseña actual: {accounts}.</translation>
    </message>
    <message>
        <source>The data it replaced is kept as the previous version: Undo puts it back.</source>
        <translation>Los datos que reemplazó se guardan como versión anterior: Deshacer los repone.</translation>
    </message>
    <message>
        <source>The older previous version was deleted.</source>
        <translation>Se eliminó la versión anterior más antigua.</translation>
    </message>
    <message numerus="yes">
        <source>The web application wrote %Ln rows while the restore ran; they are in the previous version kept for undo.</source>
        <translation>
            <numerusform>La aplicación web escribió %Ln fila mientras se restauraba; está en la versión anterior guardada para deshacer.</numerusform>
            <numerusform>La aplicación web escribió %Ln filas mientras se restauraba; están en la versión anterior guardada para deshacer.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln warnings: see the log.</source>
        <translation>
            <numerusform>%Ln aviso: vea el registro.</numerusform>
            <numerusform>%Ln avisos: vea el registro.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Schedules</name>
    <message>
        <source>Days:</source>
        <translation>Días:</translation>
    </message>
    <message>
        <source>Weeks:</source>
        <translation>Semanas:</translation>
    </message>
    <message>
        <source>Months:</source>
        <translation>Meses:</translation>
    </message>
    <message>
        <source>Years:</source>
        <translation>Años:</translation>
    </message>
    <message>
        <source>all</source>
        <translation>todas</translation>
    </message>
    <message>
        <source>Schedule backups</source>
        <translation>Programar copias de seguridad</translation>
    </message>
    <message>
        <source>Each schedule backs up clinics every day at the times given, through this computer&apos;s own scheduler, even when Resguardo is closed; each clinic&apos;s backups go in its own folder inside the folder chosen, and the keep rules then remove older backups (never the newest verified one).</source>
        <translation>Cada programación copia clínicas todos los días a las horas indicadas, mediante el programador de tareas de este equipo, aunque Resguardo esté cerrado; las copias de cada clínica van a su propia carpeta dentro de la carpeta elegida, y después las reglas de conservación eliminan las copias antiguas (nunca la copia verificada más reciente).</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Every day at</source>
        <translation>Todos los días a las</translation>
    </message>
    <message>
        <source>Clinics</source>
        <translation>Clínicas</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Carpeta</translation>
    </message>
    <message>
        <source>Last run</source>
        <translation>Última ejecución</translation>
    </message>
    <message>
        <source>Saved schedules</source>
        <translation>Programaciones guardadas</translation>
    </message>
    <message>
        <source>&amp;Change schedule</source>
        <translation>&amp;Cambiar programación</translation>
    </message>
    <message>
        <source>Put the schedule in the form below to change it</source>
        <translation>Pone la programación en el formulario de abajo para cambiarla</translation>
    </message>
    <message>
        <source>&amp;Remove schedule</source>
        <translation>&amp;Quitar la programación</translation>
    </message>
    <message>
        <source>Take the schedule out of the scheduler; its backups are kept</source>
        <translation>Quitar la programación del programador de tareas; sus copias se conservan</translation>
    </message>
    <message>
        <source>New schedule</source>
        <translation>Nueva programación</translation>
    </message>
    <message>
        <source>nightly</source>
        <translation>noche</translation>
    </message>
    <message>
        <source>Name of the schedule</source>
        <translation>Nombre de la programación</translation>
    </message>
    <message>
        <source>Letters, digits, - and _</source>
        <translation>Letras, cifras, - y _</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Nombre:</translation>
    </message>
    <message>
        <source>Times of day</source>
        <translation>Horas del día</translation>
    </message>
    <message>
        <source>HH:MM in this computer&apos;s time; several separated by commas</source>
        <translation>HH:MM en la hora de este equipo; varias separadas por comas</translation>
    </message>
    <message>
        <source>&amp;Times of day:</source>
        <translation>&amp;Horas del día:</translation>
    </message>
    <message>
        <source>&amp;All clinics (also those added later)</source>
        <translation>&amp;Todas las clínicas (también las que se añadan después)</translation>
    </message>
    <message>
        <source>&amp;Only these:</source>
        <translation>&amp;Solo estas:</translation>
    </message>
    <message>
        <source>Clinics to back up</source>
        <translation>Clínicas que se copian</translation>
    </message>
    <message>
        <source>Clinics:</source>
        <translation>Clínicas:</translation>
    </message>
    <message>
        <source>Folder for the scheduled backups</source>
        <translation>Carpeta para las copias programadas</translation>
    </message>
    <message>
        <source>&amp;Into the folder:</source>
        <translation>E&amp;n la carpeta:</translation>
    </message>
    <message>
        <source>For days, weeks, months and years: the newest backup of each; 0 is off, -1 keeps all</source>
        <translation>Para días, semanas, meses y años: la copia más reciente de cada uno; 0 es desactivado, -1 las conserva todas</translation>
    </message>
    <message>
        <source>Test restore</source>
        <translation>Prueba de restauración</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nunca</translation>
    </message>
    <message>
        <source>On that day each new backup is also loaded into a test copy beside its clinic and checked, then the copy is removed; the clinic is never touched</source>
        <translation>Ese día cada copia nueva se carga además en una copia de prueba junto a su clínica y se comprueba; después la copia de prueba se elimina. La clínica no se toca nunca</translation>
    </message>
    <message>
        <source>&amp;Test restore on:</source>
        <translation>&amp;Probar la restauración el:</translation>
    </message>
    <message>
        <source>Address to notify</source>
        <translation>Dirección a la que avisar</translation>
    </message>
    <message>
        <source>optional: https://… (healthchecks.io, ntfy)</source>
        <translation>opcional: https://… (healthchecks.io, ntfy)</translation>
    </message>
    <message>
        <source>Called after each run, with /fail added when a clinic was not backed up</source>
        <translation>Se llama después de cada ejecución, con /fail añadido cuando una clínica no se copió</translation>
    </message>
    <message>
        <source>&amp;Notify:</source>
        <translation>A&amp;visar a:</translation>
    </message>
    <message>
        <source>&amp;Save schedule</source>
        <translation>&amp;Guardar programación</translation>
    </message>
    <message>
        <source>off</source>
        <translation>no</translation>
    </message>
    <message>
        <source>Latest:</source>
        <translation>Últimas:</translation>
    </message>
    <message>
        <source>Keep:</source>
        <translation>Conservar:</translation>
    </message>
    <message>
        <source>Connection profile</source>
        <translation>Perfil de conexión</translation>
    </message>
    <message>
        <source>&amp;Profile:</source>
        <translation>&amp;Perfil:</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Formato</translation>
    </message>
    <message>
        <source>&amp;Format:</source>
        <translation>&amp;Formato:</translation>
    </message>
    <message>
        <source>Give at least one time of day, as HH:MM.</source>
        <translation>Indique al menos una hora del día, como HH:MM.</translation>
    </message>
    <message>
        <source>Choose the folder the backups go into (a full path).</source>
        <translation>Elija la carpeta donde van las copias (una ruta completa).</translation>
    </message>
    <message>
        <source>Tick the clinics to back up, or choose All clinics.</source>
        <translation>Marque las clínicas que se copian, o elija Todas las clínicas.</translation>
    </message>
    <message>
        <source>Save a connection profile first (File, Connection profiles…).</source>
        <translation>Guarde antes un perfil de conexión (Archivo, Perfiles de conexión…).</translation>
    </message>
    <message>
        <source>Schedule {name} saved: every day at {times}.</source>
        <translation>Programación {name} guardada: todos los días a las {times}.</translation>
    </message>
    <message>
        <source>Schedule {name} replaced: every day at {times}.</source>
        <translation>Programación {name} sustituida: todos los días a las {times}.</translation>
    </message>
    <message>
        <source>Change schedule {name}</source>
        <translation>Cambiar la programación {name}</translation>
    </message>
    <message>
        <source>Schedule {name} removed; its backups are kept.</source>
        <translation>Programación {name} quitada; sus copias se conservan.</translation>
    </message>
    <message>
        <source>All clinics</source>
        <translation>Todas las clínicas</translation>
    </message>
    <message>
        <source>Never run</source>
        <translation>Nunca se ha ejecutado</translation>
    </message>
    <message>
        <source>{when}: failed</source>
        <translation>{when}: falló</translation>
    </message>
    <message>
        <source>{when}: all backed up</source>
        <translation>{when}: todo copiado</translation>
    </message>
</context>
<context>
    <name>Session</name>
    <message>
        <source>PostgreSQL {version} at {where} · database {database} · user {user} (superuser)</source>
        <translation>PostgreSQL {version} en {where} · base de datos {database} · usuario {user} (superusuario)</translation>
    </message>
    <message>
        <source>PostgreSQL {version} at {where} · database {database} · user {user}</source>
        <translation>PostgreSQL {version} en {where} · base de datos {database} · usuario {user}</translation>
    </message>
</context>
<context>
    <name>TableNames</name>
    <message>
        <source>{first} ↔ {second} links</source>
        <translation>vínculos {first} ↔ {second}</translation>
    </message>
    <message>
        <source>{model}</source>
        <translation>«{model}»</translation>
    </message>
</context>
<context>
    <name>VerifyFlow</name>
    <message>
        <source>an unknown clinic</source>
        <translation>una clínica desconocida</translation>
    </message>
    <message>
        <source>a backup of {clinic} in the Resguardo format, made {date}: {rows} rows in {tables} tables ({size} of data). Every checksum matches.</source>
        <translation>una copia de {clinic} en formato de Resguardo, hecha el {date}: {rows} filas en {tables} tablas ({size} de datos). Todas las sumas de verificación coinciden.</translation>
    </message>
    <message>
        <source>a Django export (dumpdata) of {objects} records in {models} models; it is restored into the clinic&apos;s current tables.</source>
        <translation>una exportación de Django (dumpdata) de {objects} registros en {models} modelos; se restaura en las tablas actuales de la clínica.</translation>
    </message>
    <message>
        <source>plain SQL</source>
        <translation>SQL plano</translation>
    </message>
    <message>
        <source>pg_dump custom format</source>
        <translation>formato personalizado de pg_dump</translation>
    </message>
    <message>
        <source>with data</source>
        <translation>con datos</translation>
    </message>
    <message>
        <source>without data</source>
        <translation>sin datos</translation>
    </message>
    <message>
        <source>a backup of {clinic} in {kind}, made with {tool}: {tables} tables, {data}.</source>
        <translation>una copia de {clinic} en {kind}, hecha con {tool}: {tables} tablas, {data}.</translation>
    </message>
    <message>
        <source>{file} is complete and readable: {holds}</source>
        <translation>{file} está completo y se puede leer: {holds}</translation>
    </message>
    <message>
        <source>Verify a backup file</source>
        <translation>Verificar un archivo de copia</translation>
    </message>
    <message>
        <source>Verify {file}</source>
        <translation>Verificar {file}</translation>
    </message>
    <message>
        <source>The file was not changed.</source>
        <translation>El archivo no se modificó.</translation>
    </message>
    <message>
        <source>Reading the file</source>
        <translation>Leyendo el archivo</translation>
    </message>
</context>
<context>
    <name>Window</name>
    <message>
        <source>Filter by name or web address (Ctrl+F)</source>
        <translation>Filtrar por nombre o dirección web (Ctrl+F)</translation>
    </message>
    <message>
        <source>Filter the clinics</source>
        <translation>Filtrar las clínicas</translation>
    </message>
    <message>
        <source>No clinics table found: the list shows all the data of the database, by internal name.</source>
        <translation>No se encontró la tabla de clínicas: la lista muestra todos los datos de la base de datos, por su nombre interno.</translation>
    </message>
    <message>
        <source>Filte&amp;r clinics:</source>
        <translation>&amp;Filtrar clínicas:</translation>
    </message>
    <message>
        <source>Clinics</source>
        <translation>Clínicas</translation>
    </message>
    <message>
        <source>Previous versions and other data</source>
        <translation>Versiones anteriores y otros datos</translation>
    </message>
    <message>
        <source>Previous versions kept for undo, and other data</source>
        <translation>Versiones anteriores guardadas para deshacer, y otros datos</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Tareas</translation>
    </message>
    <message>
        <source>Log of the current job</source>
        <translation>Registro de la tarea actual</translation>
    </message>
    <message>
        <source>Not connected.</source>
        <translation>Sin conexión.</translation>
    </message>
    <message>
        <source>{database} on {host} — Resguardo</source>
        <translation>{database} en {host} — Resguardo</translation>
    </message>
    <message>
        <source>Connection profiles…</source>
        <translation>Perfiles de conexión…</translation>
    </message>
    <message>
        <source>The connection to the server was lost. The list shows the clinics as they were; nothing can be done until Resguardo is connected again.</source>
        <translation>Se perdió la conexión con el servidor. La lista muestra las clínicas como estaban; no se puede hacer nada hasta que Resguardo vuelva a conectarse.</translation>
    </message>
    <message>
        <source>Disconnected.</source>
        <translation>Desconectado.</translation>
    </message>
    <message numerus="yes">
        <source>%Ln clinics, from the clinics table</source>
        <translation>
            <numerusform>%Ln clínica, de la tabla de clínicas</numerusform>
            <numerusform>%Ln clínicas, de la tabla de clínicas</numerusform>
        </translation>
    </message>
    <message>
        <source>The clinics table: {table}</source>
        <translation>La tabla de clínicas: {table}</translation>
    </message>
    <message>
        <source>Reconnect</source>
        <translation>Reconectar</translation>
    </message>
    <message>
        <source>Reading the list of clinics…</source>
        <translation>Leyendo la lista de clínicas…</translation>
    </message>
    <message>
        <source>This database has no clinics.</source>
        <translation>Esta base de datos no tiene clínicas.</translation>
    </message>
    <message>
        <source>The list of clinics could not be read.</source>
        <translation>No se pudo leer la lista de clínicas.</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Reintentar</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <source>The new language is used the next time Resguardo starts (a job is running now).</source>
        <translation>El nuevo idioma se usará la próxima vez que Resguardo arranque (ahora hay una tarea en curso).</translation>
    </message>
    <message>
        <source>About Resguardo</source>
        <translation>Acerca de Resguardo</translation>
    </message>
    <message>
        <source>&lt;b&gt;Resguardo {version}&lt;/b&gt;&lt;p&gt;Backs up and restores one clinic at a time in a PostgreSQL database that keeps each clinic apart. A restore never touches another clinic and can be undone.&lt;/p&gt;&lt;p&gt;Log file: {log}&lt;/p&gt;&lt;p&gt;Icons drawn for Resguardo; MIT licence.&lt;/p&gt;</source>
        <translation>&lt;b&gt;Resguardo {version}&lt;/b&gt;&lt;p&gt;Hace copias de seguridad y restaura las clínicas de una en una, en una base de datos PostgreSQL que mantiene cada clínica aparte. Una restauración nunca toca otra clínica y se puede deshacer.&lt;/p&gt;&lt;p&gt;Archivo de registro: {log}&lt;/p&gt;&lt;p&gt;Iconos dibujados para Resguardo; licencia MIT.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>a file</source>
        <translation>un archivo</translation>
    </message>
    <message>
        <source>Jobs are running</source>
        <translation>Hay tareas en curso</translation>
    </message>
    <message>
        <source>A job is still running ({names}). Cancel it and close Resguardo? A cancelled restore changes nothing; a cancelled backup leaves no file.</source>
        <translation>Todavía hay una tarea en curso ({names}). ¿Cancelarla y cerrar Resguardo? Una restauración cancelada no cambia nada; una copia cancelada no deja ningún archivo.</translation>
    </message>
    <message>
        <source>Cancel jobs and close</source>
        <translation>Cancelar las tareas y cerrar</translation>
    </message>
    <message>
        <source>Cancelling the running jobs before closing…</source>
        <translation>Cancelando las tareas en curso antes de cerrar…</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Actualizar</translation>
    </message>
    <message>
        <source>Read the list of clinics again</source>
        <translation>Volver a leer la lista de clínicas</translation>
    </message>
    <message>
        <source>&amp;Back up…</source>
        <translation>&amp;Copia de seguridad…</translation>
    </message>
    <message>
        <source>Back up the selected clinic to a file</source>
        <translation>Hacer una copia de seguridad de la clínica seleccionada en un archivo</translation>
    </message>
    <message>
        <source>Back up…</source>
        <translation>Copia de seguridad…</translation>
    </message>
    <message>
        <source>Back up &amp;all clinics…</source>
        <translation>Copia de &amp;todas las clínicas…</translation>
    </message>
    <message>
        <source>Back up every clinic, each to its own file, into one folder</source>
        <translation>Hacer una copia de cada clínica, cada una en su propio archivo, en una carpeta</translation>
    </message>
    <message>
        <source>Back up all…</source>
        <translation>Copiar todas…</translation>
    </message>
    <message>
        <source>&amp;Schedule backups…</source>
        <translation>&amp;Programar copias…</translation>
    </message>
    <message>
        <source>Back up clinics every day at set times, through this computer&apos;s own scheduler</source>
        <translation>Copiar clínicas todos los días a horas fijas, mediante el programador de tareas de este equipo</translation>
    </message>
    <message>
        <source>&amp;Restore…</source>
        <translation>&amp;Restaurar…</translation>
    </message>
    <message>
        <source>Replace the selected clinic&apos;s data with a backup (after a preview and your confirmation)</source>
        <translation>Reemplazar los datos de la clínica seleccionada por una copia (después de una vista previa y de su confirmación)</translation>
    </message>
    <message>
        <source>Restore…</source>
        <translation>Restaurar…</translation>
    </message>
    <message>
        <source>&amp;Undo restore…</source>
        <translation>&amp;Deshacer la restauración…</translation>
    </message>
    <message>
        <source>Put back the previous version a restore kept</source>
        <translation>Reponer la versión anterior que guardó una restauración</translation>
    </message>
    <message>
        <source>Undo…</source>
        <translation>Deshacer…</translation>
    </message>
    <message>
        <source>&amp;Discard previous version…</source>
        <translation>Descar&amp;tar la versión anterior…</translation>
    </message>
    <message>
        <source>Delete the previous version a restore kept (the restore can then no longer be undone)</source>
        <translation>Eliminar la versión anterior que guardó una restauración (la restauración ya no se podrá deshacer)</translation>
    </message>
    <message>
        <source>Discard…</source>
        <translation>Descartar…</translation>
    </message>
    <message>
        <source>Re&amp;cover records…</source>
        <translation>Recuperar re&amp;gistros…</translation>
    </message>
    <message>
        <source>Bring chosen records (a patient, with their appointments and messages) back from a backup into the selected clinic, keeping everything made since</source>
        <translation>Traer de una copia de seguridad a la clínica seleccionada los registros elegidos (un paciente, con sus citas y mensajes), conservando todo lo hecho desde entonces</translation>
    </message>
    <message>
        <source>Undo recover&amp;y…</source>
        <translation>Deshacer la recuperació&amp;n…</translation>
    </message>
    <message>
        <source>Remove the records the selected clinic&apos;s last recovery brought back</source>
        <translation>Quitar los registros que trajo la última recuperación de la clínica seleccionada</translation>
    </message>
    <message>
        <source>&amp;Verify a file…</source>
        <translation>&amp;Verificar un archivo…</translation>
    </message>
    <message>
        <source>Check that a backup file is complete and readable</source>
        <translation>Comprobar que un archivo de copia está completo y se puede leer</translation>
    </message>
    <message>
        <source>Verify…</source>
        <translation>Verificar…</translation>
    </message>
    <message>
        <source>&amp;Connection profiles…</source>
        <translation>&amp;Perfiles de conexión…</translation>
    </message>
    <message>
        <source>Add, edit, test or choose a server to connect to</source>
        <translation>Añadir, editar, probar o elegir el servidor al que conectarse</translation>
    </message>
    <message>
        <source>Reco&amp;nnect</source>
        <translation>Reco&amp;nectar</translation>
    </message>
    <message>
        <source>Connect to the server again</source>
        <translation>Volver a conectar con el servidor</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>&amp;Buscar</translation>
    </message>
    <message>
        <source>Filter the list of clinics</source>
        <translation>Filtrar la lista de clínicas</translation>
    </message>
    <message>
        <source>Bac&amp;kups of the clinic…</source>
        <translation>&amp;Ver las copias de la clínica…</translation>
    </message>
    <message>
        <source>Every backup of the selected clinic in the folders this profile backs up into, newest first</source>
        <translation>Todas las copias de la clínica elegida en las carpetas donde este perfil guarda sus copias, de la más reciente a la más antigua</translation>
    </message>
    <message>
        <source>Backups…</source>
        <translation>Copias…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>Close Resguardo</source>
        <translation>Cerrar Resguardo</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;Clinic</source>
        <translation>&amp;Clínica</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>Open the &amp;log file</source>
        <translation>Abrir el archivo de &amp;registro</translation>
    </message>
    <message>
        <source>Open Resguardo&apos;s log file</source>
        <translation>Abrir el archivo de registro de Resguardo</translation>
    </message>
    <message>
        <source>Open the log &amp;folder</source>
        <translation>Abrir la &amp;carpeta de registros</translation>
    </message>
    <message>
        <source>Show the folder with the log files</source>
        <translation>Mostrar la carpeta con los archivos de registro</translation>
    </message>
    <message>
        <source>&amp;About Resguardo</source>
        <translation>&amp;Acerca de Resguardo</translation>
    </message>
    <message>
        <source>Version and licence</source>
        <translation>Versión y licencia</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>Acciones</translation>
    </message>
    <message>
        <source>Replaces or deletes a clinic&apos;s data</source>
        <translation>Reemplaza o elimina los datos de una clínica</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>El del sistema</translation>
    </message>
    <message>
        <source>Show Resguardo in this language</source>
        <translation>Mostrar Resguardo en este idioma</translation>
    </message>
</context>
</TS>
