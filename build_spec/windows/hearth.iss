; Inno Setup script for Hearth on Windows. build_spec/build.py runs it after PyInstaller:
;   iscc /DAppVersion=0.1.0 /DBundleDir=dist\hearth /Odist build_spec\windows\hearth.iss
; Per-user install by default (no admin rights needed); the user may choose all users.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\hearth"
#endif

[Setup]
AppId={{8C4B1F3E-6F0A-4C55-9C2B-5E3F7D1A9B20}
AppName=Hearth
AppVersion={#AppVersion}
AppPublisher=Hearth developers
DefaultDirName={autopf}\Hearth
DefaultGroupName=Hearth
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputBaseFilename=Hearth-{#AppVersion}-setup
SetupIconFile=..\..\desktop\assets\hearth.ico
UninstallDisplayIcon={app}\hearth.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{autoprograms}\Hearth"; Filename: "{app}\hearth.exe"
Name: "{autodesktop}\Hearth"; Filename: "{app}\hearth.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\hearth.exe"; Description: "{cm:LaunchProgram,Hearth}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; the app's own files only: the user's sessions (in %LOCALAPPDATA%\Hearth) stay
Type: filesandordirs; Name: "{app}\_internal"
